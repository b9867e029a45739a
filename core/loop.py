"""The event loop hookline's own processes run on (``HOOKLINE_EVENT_LOOP``).

uvloop (libuv, a well-kept drop-in asyncio loop) is the default: the gateway spends a
third of its CPU in the loop's socket and scheduling code, which uvloop does in C
(``bench/gateway.py`` measures both). ``asyncio`` keeps the standard loop. The faust
worker gets it through the event loop policy, set before faust makes its loops
(``hookline/cli/worker.py``)."""

from __future__ import annotations

import asyncio
import ctypes
import gc
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopKind = Literal["uvloop", "asyncio"]


def new_event_loop(kind: LoopKind = "uvloop") -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T], kind: LoopKind = "uvloop") -> T:
    """``asyncio.run`` on a loop of ``kind``."""
    with asyncio.Runner(loop_factory=lambda: new_event_loop(kind)) as runner:
        return runner.run(main)


def settle_gc() -> None:
    """Once a server has started: what exists now (modules, clients, the config) lives as
    long as the process, so it leaves the garbage collector's scans (``gc.freeze``), and
    young collections run less often. Full collections over those objects were the
    gateway's latency spikes: p99 44 -> 14 ms under wrk (``bench/gateway.py``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def release_free_memory() -> None:
    """Hand the C allocator's free memory back to the system (glibc's ``malloc_trim``;
    nothing elsewhere). After a burst (a backlog caught up after a restart, store
    partitions loaded) the freed memory otherwise stays in the process's heaps, and
    its RSS keeps the burst's peak for good."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None)


async def settle_gc_on_startup(app: object) -> None:
    """:func:`settle_gc` as an aiohttp ``on_startup`` hook (after the app's clients)."""
    settle_gc()
