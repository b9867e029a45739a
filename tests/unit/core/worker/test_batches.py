"""A worker agent's batches (core/worker/batches.py), on a real faust agent fed through
faust's own test context (its events and messages, no broker): their size, when they
are handed over, when they are acknowledged, and that an idle agent does not poll."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import faust

from core.worker.batches import take_batches

WAIT = 0.05


class Taken:
    """What the agent saw: each batch's values, when it got it, the acknowledgement of
    its events then, and the stream's waits so far."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.at: list[float] = []
        self.acked_when_handed: list[list[bool]] = []
        self.events: list[list[faust.EventT]] = []
        self.waits_before: list[int] = []


@asynccontextmanager
async def agent_taking(
    max_events: int, stop_at: Callable[[list[Any]], bool] = lambda _: False
) -> AsyncIterator[tuple[Any, Taken]]:
    """A faust agent running take_batches(max_events, WAIT); it stops taking after a
    batch for which ``stop_at`` is true (the batch is abandoned, not handled)."""
    app = faust.App(f"test-batches-{time.monotonic_ns()}")
    taken = Taken()

    @app.agent()
    async def agent(stream: faust.StreamT) -> None:
        waits = 0
        wait = stream.wait

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal waits
            waits += 1
            return await wait(*args, **kwargs)

        stream.wait = counted  # type: ignore[method-assign]
        async for batch in take_batches(stream, max_events, WAIT):
            values = [event.value for event in batch]
            taken.batches.append(values)
            taken.at.append(time.monotonic())
            taken.acked_when_handed.append([event.message.acked for event in batch])
            taken.events.append(batch)
            taken.waits_before.append(waits)
            if stop_at(values):
                break

    try:
        async with agent.test_context() as running:
            yield running, taken
    finally:
        # The stream made the app's consumer, whose thread's event loop (never started
        # here) would otherwise be left to the garbage collector, unclosed.
        if app._consumer is not None:
            app._consumer._thread.thread_loop.close()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_full_batches_go_at_once_and_a_partial_one_after_the_wait_from_its_first_event() -> (
    None
):
    async with agent_taking(3) as (agent, taken):
        for value in range(7):
            await agent.put(value)
        put_last = time.monotonic()
        await until(lambda: len(taken.batches) == 3)
        assert taken.batches == [[0, 1, 2], [3, 4, 5], [6]]
        # the lone event waited for company, the wait long, and no longer than needed
        assert taken.at[2] - put_last >= WAIT * 0.9
        await asyncio.sleep(0.3)
        await agent.put(7)
        put_after_quiet = time.monotonic()
        await until(lambda: len(taken.batches) == 4)
        assert taken.batches[3] == [7]
        assert taken.at[3] - put_after_quiet >= WAIT * 0.9


async def test_order_is_kept_and_no_batch_is_over_its_size() -> None:
    async with agent_taking(500) as (agent, taken):
        for value in range(1234):
            await agent.put(value)
        await until(lambda: sum(map(len, taken.batches)) == 1234)
        assert [value for batch in taken.batches for value in batch] == list(range(1234))
        assert max(map(len, taken.batches)) <= 500


async def test_an_idle_agent_waits_for_its_next_event_without_polling() -> None:
    """faust's take_events waited WAIT again and again while nothing came (6 times in
    these 0.3 s, 200 a second at the workers' 5 ms); here the quiet spell is one wait."""
    async with agent_taking(3) as (agent, taken):
        await agent.put(0)
        await until(lambda: len(taken.batches) == 1)
        await asyncio.sleep(0.3)
        await agent.put(1)
        await until(lambda: len(taken.batches) == 2)
        # one wait for the first event, one for the batch to fill
        assert taken.waits_before[1] - taken.waits_before[0] <= 2


async def test_a_batch_is_acknowledged_once_the_next_is_asked_for_never_if_abandoned() -> None:
    async with agent_taking(2, stop_at=lambda values: 99 in values) as (agent, taken):
        for value in (0, 1, 2):
            await agent.put(value)
        await until(lambda: len(taken.batches) == 2)
        assert taken.acked_when_handed == [[False, False], [False]]
        assert [event.message.acked for event in taken.events[0]] == [True, True]
        await agent.put(99)
        await until(lambda: len(taken.batches) == 3)
        await asyncio.sleep(0.05)
        assert [event.message.acked for event in taken.events[1]] == [True]
        # the agent stopped with [99] in hand: it is read again by whoever comes next
        assert [event.message.acked for event in taken.events[2]] == [False]
