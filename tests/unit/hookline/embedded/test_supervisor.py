"""The supervisor's backoff policy (pure), and its children: they die with their parent,
are spawned only from threads that outlive them, and are restarted when they exit."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from core import metrics
from hookline.embedded.devprocess import process_alive
from hookline.embedded.supervisor import Backoff, Supervisor, describe_exit, spawn


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    backoff = Backoff(first=1.0, factor=2.0, cap=30.0, healthy_after=60.0)
    failures, delays = 0, []
    for _ in range(8):
        failures, delay = backoff.next(failures, ran_for=2.0)
        delays.append(delay)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert failures == 8


def test_backoff_starts_over_after_a_healthy_run() -> None:
    backoff = Backoff(first=0.5, factor=3.0, cap=10.0, healthy_after=60.0)
    assert backoff.next(5, ran_for=59.9) == (6, 10.0)
    assert backoff.next(5, ran_for=60.0) == (1, 0.5)
    assert backoff.next(0, ran_for=0.0) == (1, 0.5)


def test_exit_status_fields_name_the_signal() -> None:
    assert describe_exit(0) == {"exit_code": 0}
    assert describe_exit(3) == {"exit_code": 3}
    assert describe_exit(-9) == {"signal": "SIGKILL"}


#: A parent that spawns a child with ``spawn``, prints its pid, and waits.
PARENT = """
import sys, time
from hookline.embedded.supervisor import spawn
child = spawn([sys.executable, "-c", "import time; time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_child_dies_with_its_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    child = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert process_alive(child)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 5
        while process_alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not process_alive(child)
    finally:
        parent.kill()
        parent.wait()
        assert parent.stdout is not None
        parent.stdout.close()
        if child is not None and process_alive(child):
            os.kill(child, signal.SIGKILL)


async def test_children_are_not_spawned_from_a_thread_that_may_exit() -> None:
    with pytest.raises(RuntimeError, match="parent-death signal"):
        await asyncio.to_thread(spawn, ["true"])


async def test_the_supervisor_restarts_a_killed_child_logs_and_counts_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def sleeper() -> subprocess.Popen[bytes]:
        return spawn(["sleep", "60"])

    before = metrics.PROCESS_RESTARTS.labels("sleeper")._value.get()
    supervisor = Supervisor("sleeper", sleeper, Backoff(first=0.05, cap=0.05))
    caplog.set_level(logging.INFO, logger="hookline.embedded.supervisor")
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None and supervisor.alive
        os.kill(first, signal.SIGKILL)
        async with asyncio.timeout(5):
            while supervisor.pid in (None, first):
                await asyncio.sleep(0.01)
        assert supervisor.restarts == 1
        assert metrics.PROCESS_RESTARTS.labels("sleeper")._value.get() == before + 1
        (exited,) = [r for r in caplog.records if r.getMessage() == "process exited; restarting"]
        assert exited.levelno == logging.ERROR
        assert (exited.child, exited.pid, exited.signal) == ("sleeper", first, "SIGKILL")
        assert (exited.restart, exited.next_delay_s) == (1, 0.05)
    finally:
        await supervisor.stop(timeout=5)
    assert not supervisor.alive
    assert supervisor.process is not None and supervisor.process.returncode == -signal.SIGTERM


async def test_stop_says_whether_the_child_stopped_cleanly_having_never_died() -> None:
    """``hookline dev`` trusts a clean stop to mean every write a worker journaled was
    also produced (restore.py): not so for a child that died, nor one killed at stop."""
    ready = "print('ready', flush=True); time.sleep(60)"
    graceful = [
        sys.executable,
        "-c",
        "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0));" + ready,
    ]
    terminated = [sys.executable, "-c", "import time;" + ready]  # SIGTERM's default: death

    async def stopped(argv: list[str], kill_first: bool) -> bool:
        children: list[subprocess.Popen[bytes]] = []

        def child() -> subprocess.Popen[bytes]:
            children.append(spawn(argv, stdout=subprocess.PIPE))
            return children[-1]

        supervisor = Supervisor("child", child, Backoff(0.05, 0.05))
        try:
            return await stop_after_start(supervisor, kill_first)
        finally:
            for process in children:
                assert process.stdout is not None
                process.stdout.close()

    async def stop_after_start(supervisor: Supervisor, kill_first: bool) -> bool:
        supervisor.start()
        process = supervisor.process
        assert process is not None and process.stdout is not None
        await asyncio.to_thread(process.stdout.readline)  # its handler is in place
        if kill_first:
            os.kill(process.pid, signal.SIGKILL)
            async with asyncio.timeout(5):
                while supervisor.restarts == 0 or supervisor.pid is None:
                    await asyncio.sleep(0.01)
            restarted = supervisor.process
            assert restarted is not None and restarted.stdout is not None
            await asyncio.to_thread(restarted.stdout.readline)
        return await supervisor.stop(timeout=5)

    assert await stopped(graceful, kill_first=False)
    assert not await stopped(graceful, kill_first=True)  # it had died once
    assert not await stopped(terminated, kill_first=False)
