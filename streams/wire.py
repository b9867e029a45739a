"""How agents talk to topics: raw bytes in and out, decoded and encoded with the
models of :mod:`schemas.topics` (faust never serialises our records)."""

from __future__ import annotations

import logging
from typing import Any

import faust
from pydantic import ValidationError

from schemas.topics import TopicSpec

log = logging.getLogger(__name__)


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


async def send_now(topic: faust.TopicT, key: bytes, value: bytes) -> None:
    """Produce at once. Faust's default holds messages sent from an agent until the
    source offset commits (every few seconds); our effects are idempotent and faust
    flushes the producer before each commit, so at-least-once holds without that
    delay."""
    await topic.send(key=key, value=value, force=True)
