"""streams/faust_tables_wait.py: faust's table manager starts without its 1 s grace."""

from __future__ import annotations

import asyncio
import inspect
import textwrap
from types import SimpleNamespace

from faust.tables.manager import TableManager

from streams import faust_tables_wait


def body_lines(function: object) -> list[str]:
    """A function's statements, comments and docstring left out."""
    source = textwrap.dedent(inspect.getsource(function))  # type: ignore[arg-type]
    lines = [line.strip() for line in source.splitlines()[1:]]
    return [line for line in lines if line and not line.startswith(("#", '"""'))]


def test_it_runs_faust_s_own_steps_less_the_sleep() -> None:
    # Guards the pin: a faust whose on_start does anything else fails here, not at run.
    original = TableManager.on_start
    if getattr(original, "hookline_no_grace", False):  # applied by an earlier test
        original = original.__wrapped__  # type: ignore[attr-defined]
    faust_steps = body_lines(original)
    assert "await self.sleep(1.0)" in faust_steps
    faust_steps.remove("await self.sleep(1.0)")
    assert body_lines(faust_tables_wait._on_start_without_grace) == faust_steps


def test_it_registers_the_tables_and_starts_recovery_without_waiting() -> None:
    steps: list[str] = []

    async def step(name: str) -> None:
        steps.append(name)

    async def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s")

    manager = SimpleNamespace(
        should_stop=False,
        sleep=no_sleep,
        _update_channels=lambda: step("tables registered"),
        recovery=SimpleNamespace(start=lambda: step("recovery started")),
    )
    asyncio.run(faust_tables_wait._on_start_without_grace(manager))  # type: ignore[arg-type]
    assert steps == ["tables registered", "recovery started"]

    manager.should_stop = True
    steps.clear()
    asyncio.run(faust_tables_wait._on_start_without_grace(manager))  # type: ignore[arg-type]
    assert steps == []


def test_apply_patches_once() -> None:
    faust_tables_wait.apply()
    patched = TableManager.on_start
    faust_tables_wait.apply()
    assert TableManager.on_start is patched
    assert patched.hookline_no_grace  # type: ignore[attr-defined]
