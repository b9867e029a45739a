"""How agents talk to topics: raw bytes in, decoded with the models of
:mod:`schemas.topics` (faust never serialises our records), and outputs produced
through our own producer and awaited before the input counts as done.

Faust acknowledges events when the agent is done with them (even when the
agent's body raised: its iterators ack in a ``finally``), and commits
acknowledged offsets in the background. So an agent must never be done with an
event whose outputs are not all acknowledged by the broker, and must never let an
exception unwind past one: :func:`fatal` ends the process on the spot instead,
and the events are read again by whoever takes the partition next."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import faust
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from schemas.topics import TopicSpec

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
    """The records one input produces, sent at once and acknowledged together."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._pending: list[asyncio.Future[Any]] = []

    async def send(self, spec: TopicSpec, key: str, value: Any) -> None:
        self._pending.append(
            await self._producer.send(spec.name, key=key.encode(), value=spec.encode(value))
        )

    async def acknowledged(self) -> None:
        """Wait until the broker has every record sent so far (raises if one failed)."""
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)


#: Events handed to an agent at once, and how long a batch waits to fill: a batch's
#: writes are acknowledged together (one round trip per batch, not per event).
BATCH_EVENTS = 500
BATCH_WAIT_SECONDS = 0.005


async def each_batch(
    stream: faust.StreamT,
    handle: Callable[[Sequence[faust.EventT]], Awaitable[None]],
    what: str,
) -> None:
    """Run ``handle`` on the events of ``stream``, a batch at a time, in order. Faust
    acknowledges a batch once ``handle`` returns; if it fails, the worker stops before
    that can happen (:func:`fatal`) and the batch is read again after the restart."""
    async for events in stream.take_events(BATCH_EVENTS, BATCH_WAIT_SECONDS):
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


def fatal(message: str, **extra: Any) -> NoReturn:
    """Stop the worker now, without unwinding: no acknowledgement, no commit of the
    event in hand. It is processed again after the restart (outputs carry stable ids,
    so doing it twice has one effect)."""
    log.critical(message, exc_info=True, extra=extra)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(FATAL_EXIT_CODE)
