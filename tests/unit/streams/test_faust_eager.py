"""streams/faust_eager.py: faust's wait_first with its first coroutine started eagerly.

On a bare mode Service (what faust's consumer is); the drain itself runs in every
worker test and in the fault suite (tests/integration/faults)."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest
from faust.transport.consumer import Consumer
from mode import Service

from streams import faust_eager

eager_wait_first = faust_eager._eager(Service.wait_first)


class Fetcher(Service):
    async def wait_first(self, *coros, timeout=None):  # type: ignore[no-untyped-def]
        return await eager_wait_first(self, *coros, timeout=timeout)


async def test_a_callback_done_in_one_step_runs_in_place_with_no_task() -> None:
    fetcher = Fetcher()
    suspend = asyncio.Event()
    seen: list[int] = []
    loop_turns = 0

    async def callback(n: int) -> str:
        seen.append(n)
        return f"put {n}"

    async def count_turns() -> None:
        nonlocal loop_turns
        while True:
            loop_turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    await asyncio.sleep(0)
    turns_before = loop_turns
    gc.collect()  # other tests' garbage is theirs: collect it before the strict block
    with warnings.catch_warnings():
        # an unawaited suspend.wait() would warn "coroutine ... was never awaited"
        warnings.simplefilter("error", RuntimeWarning)
        results = [await fetcher.wait_first(callback(n), suspend.wait()) for n in range(50)]
        gc.collect()
    assert loop_turns == turns_before  # no loop turn (so no task) for any of the 50
    counter.cancel()
    assert seen == list(range(50))
    assert [r.results for r in results] == [[f"put {n}"] for n in range(50)]
    assert not any(r.stopped for r in results)


async def test_a_callback_that_suspends_goes_on_in_faust_wait_first() -> None:
    fetcher = Fetcher()
    room = asyncio.Event()
    steps: list[str] = []

    async def callback() -> str:
        steps.append("first step")
        await room.wait()  # a full agent queue
        steps.append("resumed")
        await asyncio.sleep(0)
        return "put"

    waiting = asyncio.create_task(fetcher.wait_first(callback(), asyncio.Event().wait()))
    await asyncio.sleep(0.01)
    assert steps == ["first step"] and not waiting.done()
    room.set()
    result = await asyncio.wait_for(waiting, 1)
    assert steps == ["first step", "resumed"]
    assert result.results == ["put"] and not result.stopped


async def test_a_suspended_callback_is_abandoned_when_the_flow_is_suspended() -> None:
    """As unpatched: a rebalance's stop_flow sets suspend_flow, and the callback waiting
    on a full queue is cancelled (its record is fetched again after the seek)."""
    fetcher = Fetcher()
    suspend = asyncio.Event()
    cancelled = asyncio.Event()

    async def callback() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    waiting = asyncio.create_task(fetcher.wait_first(callback(), suspend.wait()))
    await asyncio.sleep(0.01)
    suspend.set()
    result = await asyncio.wait_for(waiting, 1)
    assert result.results == [True]  # suspend.wait() won
    await asyncio.wait_for(cancelled.wait(), 1)


@pytest.mark.parametrize("when", ["first step", "after suspending"])
async def test_the_callbacks_error_reaches_the_drain(when: str) -> None:
    fetcher = Fetcher()

    async def callback() -> None:
        if when == "after suspending":
            await asyncio.sleep(0.001)
        raise ValueError("undecodable")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="undecodable"):
            await fetcher.wait_first(callback(), asyncio.Event().wait())
        gc.collect()


async def test_a_stopped_service_waits_as_faust_does() -> None:
    fetcher = Fetcher()
    fetcher._stopped.set()

    async def callback() -> str:
        return "put"

    result = await fetcher.wait_first(callback(), asyncio.Event().wait())
    assert result.stopped  # faust's answer: stopped wins, the drain ends


async def test_events_are_waited_as_before() -> None:
    """mode's ``wait(event)`` goes through wait_first with an event, not a coroutine."""
    fetcher = Fetcher()
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, event.set)
    result = await fetcher.wait(event, timeout=1)
    assert not result.stopped


def test_apply_patches_the_consumer_once_and_nothing_else() -> None:
    faust_eager.apply()
    patched = Consumer.wait_first
    faust_eager.apply()
    assert Consumer.wait_first is patched
    assert patched.hookline_faust_eager
    assert patched.__wrapped__ is Service.wait_first
    assert Service.wait_first is not patched
