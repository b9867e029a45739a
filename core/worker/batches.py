"""Batches of a faust stream's events that wait for their first event without a clock.

faust-streaming 0.15.3's ``Stream.take_events(max_, within)`` waits ``within`` for its
buffer to fill, and when nothing came, waits again: with the workers' 5 ms batch wait
each agent woke 200 times a second on an idle ``hookline dev``. An idle worker took
4.9-6.4% of a core with it, 1.4-1.8% with this (``bench/idle.py``, four runs each).

:func:`take_batches` gives the same batches, acknowledged the same way, except that an
empty buffer waits for its first event however long that takes; from that event the
batch waits up to ``wait_seconds`` to fill, as before.

How it works, as faust's does (``faust/streams.py``): a processor on the stream, which
faust then reads in the background (``_enable_passive``), puts each event in the
buffer; the stream's own acknowledgements are off (``enable_acks``), and the events of
a batch are acknowledged once the caller comes back for the next one, that is once it
has handled them. While a batch is out, the processor holds the next event, so events
not taken yet stay in faust's queues (a rebalance clears those).

One difference, on purpose: faust acknowledges a batch in a ``finally``, so a batch
abandoned mid-way (its agent cancelled) would count as done. Here it is never
acknowledged; whoever reads the partition next handles it again (outputs carry stable
ids: one effect). A graceful stop does not abandon one either way: faust waits for
every event in flight to be acknowledged before it stops the agents
(``test_worker_stopped_under_load_exits_and_loses_nothing``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import faust


async def take_batches(
    stream: faust.StreamT, max_events: int, wait_seconds: float
) -> AsyncIterator[list[faust.EventT]]:
    """The events of ``stream`` in order, in lists of up to ``max_events``: a list is
    handed over when full, or ``wait_seconds`` after its first event came. Its events
    are acknowledged when the caller asks for the next list."""
    loop = asyncio.get_running_loop()
    buffer: list[faust.EventT] = []
    first_at = 0.0  # loop time of the buffer's first event
    has_first = asyncio.Event()
    full = asyncio.Event()
    # Set while no batch is out: the processor waits on it, so a batch's events are
    # the ones buffered before it was handed over.
    open_ = asyncio.Event()
    open_.set()
    taken = asyncio.Event()

    async def add(value: Any) -> Any:
        nonlocal first_at
        await open_.wait()
        event = stream.current_event
        if event is None:  # faust sets it before it runs the processors
            raise RuntimeError("take_batches: the stream has no current event")
        if not buffer:
            first_at = loop.time()
            has_first.set()
        buffer.append(event)
        if len(buffer) >= max_events:
            full.set()
            taken.clear()
            await stream.wait(taken)  # never more than max_events in a batch
        return value

    acks_were = stream.enable_acks
    stream.enable_acks = False
    stream.add_processor(add)
    # As faust does: the background reader is handed the channel's iterator.
    stream._enable_passive(aiter(stream.channel))
    try:
        while not stream.should_stop:
            # mode's ``wait`` returns when the event is set or the stream stops. (Its
            # result says "stopped" after a timeout too, so the stream is asked.)
            if not buffer:
                await stream.wait(has_first)
            remaining = first_at + wait_seconds - loop.time()
            if not full.is_set() and remaining > 0:
                await stream.wait(full, timeout=remaining)
            if stream.should_stop:
                break
            if not buffer:  # the stream crashed: faust's loop goes round as well
                continue
            batch = buffer[:]
            buffer.clear()
            has_first.clear()
            full.clear()
            open_.clear()
            taken.set()
            yield batch
            # Back for more: the caller is done with the batch.
            for event in batch:
                await stream.ack(event)
            open_.set()
    finally:
        stream.enable_acks = acks_were
        stream._processors.remove(add)
