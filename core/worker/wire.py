"""How agents talk to topics: raw bytes in, decoded with the models of
:mod:`schemas.topics` (faust never serialises our records), and outputs produced
through our own producer and awaited before the input counts as done.

A batch's events are acknowledged when the agent comes back for the next batch
(:mod:`core.worker.batches`; faust's own iterators ack even when the agent's body
raised, in a ``finally``), and faust commits acknowledged offsets in the background.
So an agent must never be done with an event whose outputs are not all acknowledged
by the broker, and must never let an exception unwind past one: :func:`fatal` ends
the process on the spot instead, and the events are read again by whoever takes the
partition next."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import faust
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from core import metrics
from core.kafka import enqueue_batches, partition_for
from core.worker.batches import take_batches
from schemas.topics import HISTORY, TopicSpec

log = logging.getLogger(__name__)

#: Exit status of a worker that stopped itself rather than skip an event (EX_SOFTWARE).
FATAL_EXIT_CODE = 70


def raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


def decode_event(spec: TopicSpec, event: faust.EventT) -> Any | None:
    """The event's value as the topic's model; None (logged with its position) when it
    is not one — a record no version of us wrote cannot be replayed, only skipped."""
    try:
        return spec.decode(event.value)
    except ValidationError as exc:
        log.error(
            "undecodable record skipped",
            extra={
                "topic": spec.name,
                "partition": event.message.partition,
                "offset": event.message.offset,
                "error": str(exc)[:500],
            },
        )
        return None


class Outputs:
    """The records a batch of inputs produces: kept until :meth:`acknowledged`, then
    produced together, one record batch per partition, and acknowledged together.

    Produced in bulk because a record handed to the producer one at a time cost about
    18 µs of CPU (the producer's own partitioner, its accumulator and a future per
    record); a batch built here costs about 4 µs a record plus the partition
    (:func:`core.kafka.partition_for`, the Java client's placement, so a key's records
    land where any other Kafka producer would put them). Order is kept per partition."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        #: (topic, key, value) in the order added, not produced yet.
        self._records: list[tuple[str, bytes, bytes]] = []
        #: The history records among them, counted once acknowledged (core/metrics.py).
        self._history: list[Any] = []

    def add(self, spec: TopicSpec, key: str, value: Any) -> None:
        """Encode ``value`` for ``spec``'s topic; it is produced by :meth:`acknowledged`."""
        self._records.append((spec.name, key.encode(), spec.encode(value)))
        if spec is HISTORY:
            self._history.append(value)

    async def acknowledged(self) -> None:
        """Produce every record added so far and wait until the broker has them all
        (raises if one failed); then count what the history records among them say."""
        records, self._records = self._records, []
        history, self._history = self._history, []
        if not records:
            return
        partitions: dict[str, list[int]] = {}
        by_partition: dict[tuple[str, int], list[tuple[bytes, bytes]]] = {}
        for topic, key, value in records:
            numbers = partitions.get(topic)
            if numbers is None:
                numbers = partitions[topic] = sorted(await self._producer.partitions_for(topic))
            where = (topic, numbers[partition_for(key, len(numbers))])
            by_partition.setdefault(where, []).append((key, value))
        # At once: a partition's batch waits while one of its batches is still queued
        # (aiokafka), and those waits must overlap.
        await asyncio.gather(
            *(
                produce_batches(self._producer, topic, partition, rows)
                for (topic, partition), rows in by_partition.items()
            )
        )
        metrics.count_history(history)


async def produce_batches(
    producer: AIOKafkaProducer, topic: str, partition: int, rows: Sequence[tuple[bytes, bytes]]
) -> None:
    """Produce ``(key, value)`` rows to one partition as few record batches as fit, in
    order, and wait until the broker has them all."""
    await asyncio.gather(*await enqueue_batches(producer, topic, partition, rows))


#: Events handed to an agent at once: a batch's writes are acknowledged together (one
#: round trip per batch, not per event). How long a batch waits to fill is a setting
#: (``worker_batch_wait_ms``).
BATCH_EVENTS = 500


async def each_batch(
    stream: faust.StreamT,
    handle: Callable[[Sequence[faust.EventT]], Awaitable[None]],
    what: str,
    wait_seconds: float,
) -> None:
    """Run ``handle`` on the events of ``stream``, a batch at a time, in order: up to
    :data:`BATCH_EVENTS`, or what came within ``wait_seconds``. A batch is acknowledged
    once ``handle`` returns; if it fails, the worker stops before that can happen
    (:func:`fatal`) and the batch is read again after the restart. An idle agent waits
    for its next event without waking (:mod:`core.worker.batches`)."""
    topic = stream.channel.get_topic_name()
    taken = metrics.BATCH_EVENTS.labels(topic)
    took = metrics.BATCH_SECONDS.labels(topic)
    async for events in take_batches(stream, BATCH_EVENTS, wait_seconds):
        started = time.perf_counter()
        try:
            await handle(events)
        except Exception:
            first = events[0].message
            fatal(
                f"{what}: stopping the worker",
                partition=first.partition,
                offset=first.offset,
                events=len(events),
            )
        took.observe(time.perf_counter() - started)
        taken.observe(len(events))


def fatal(message: str, **extra: Any) -> NoReturn:
    """Stop the worker now, without unwinding: no acknowledgement, no commit of the
    event in hand. It is processed again after the restart (outputs carry stable ids,
    so doing it twice has one effect)."""
    log.critical(message, exc_info=True, extra=extra)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(FATAL_EXIT_CODE)
