"""Faust's fetcher hands a record to the agents without four tasks per record.

For every record, faust-streaming 0.15.3's ``Consumer._drain_messages`` runs
``await self.wait_first(callback(message), self.suspend_flow.wait())``: mode's
``Service.wait_first`` wraps the callback, the suspend event, the consumer's stopped
and crashed events in four tasks and waits for the first with ``asyncio.wait``. The
callback (``Conductor.on_message``: decode, put in the agents' queues) nearly always
finishes without suspending, so that machinery was most of faust's share of a
hookline worker's CPU on a backlog: removing it took the workers from 914-1,034 to
764-804 µs of CPU a webhook (bench/e2e.py --backlog, then 4 records a webhook).

:func:`apply` starts the first awaitable eagerly, in the caller, as Python 3.12's
eager tasks do: when it finishes in its first step, that is the result, and nothing
else is scheduled. When it suspends (a full agent queue, the flow suspended, the
producer's buffer over its limit), the rest of it goes to faust's ``wait_first`` with
the other awaitables, exactly as before: a rebalance's ``stop_flow`` still abandons a
callback waiting on a full queue.

Why this keeps the records' order and faust's offsets: the drain awaits the callback
before it reads the next record and before it raises the read offset, both ways. The
eager step is one of the schedules the unpatched loop already allows (the callback's
task running first, at once); it only takes away the loop turn in between. Nothing in
the callback sets a context variable (checked in faust's conductor and channels), so
running its first step in the fetcher's context rather than a copy of it is the same.

Only the consumer is patched, and only calls whose first argument is a coroutine (the
drain's; mode's ``wait`` passes events). Written for the faust version
:mod:`streams.faust_fix` pins and checks."""

from __future__ import annotations

import functools
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

from faust.transport.consumer import Consumer
from mode.services import WaitResults

from streams import faust_fix  # noqa: F401  (its import checks the faust version)

WaitFirst = Callable[..., Awaitable[WaitResults]]


@types.coroutine
def _go_on(coro: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Drive ``coro`` on from the point where it yielded ``yielded`` (its first step
    ran eagerly): pass each value or exception sent in, give back what it yields."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation included: it goes on into coro
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _rest_of(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _go_on(coro, yielded)


def _close(awaitables: tuple[Any, ...]) -> None:
    """Never started: closed so that they are not reported as never awaited."""
    for awaitable in awaitables:
        if isinstance(awaitable, types.CoroutineType):
            awaitable.close()


def _eager(wait_first: WaitFirst) -> WaitFirst:
    @functools.wraps(wait_first)
    async def eager_wait_first(self: Consumer, *coros: Any, timeout: Any = None) -> WaitResults:
        first = coros[0] if coros else None
        if (
            not isinstance(first, types.CoroutineType)
            or self._stopped.is_set()
            or self._crashed.is_set()
        ):
            return await wait_first(self, *coros, timeout=timeout)
        others = coros[1:]
        try:
            yielded = first.send(None)
        except StopIteration as done:
            _close(others)
            return WaitResults([first], [done.value], False)
        except BaseException:
            _close(others)
            raise
        return await wait_first(self, _rest_of(first, yielded), *others, timeout=timeout)

    eager_wait_first.hookline_faust_eager = True  # type: ignore[attr-defined]
    return eager_wait_first


def apply() -> None:
    """Patch faust's consumer (once; later calls do nothing)."""
    if getattr(Consumer.wait_first, "hookline_faust_eager", False):
        return
    Consumer.wait_first = _eager(Consumer.wait_first)  # type: ignore[method-assign]
