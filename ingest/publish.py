"""Writing envelopes to ``hookline.webhooks``: acks=all, bounded wait, and a
clear "broker unavailable" when that cannot be done (the gateway answers 503).

In embedded mode the envelope is also journaled once the broker has it, before
the 200 (the embedded broker forgets everything when it stops:
``core/journal.py``). Journaled means produced; answered 200 means
journaled. That broker also acknowledges writes to partitions it does not have (after
it restarted empty), so there the producer's metadata is made current first
(``ingest/metadata.py``)."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from core import metrics
from core.journal import Journal
from ingest.metadata import refresh_if_stale
from schemas.envelope import WebhookEnvelope
from schemas.topics import WEBHOOKS


class BrokerUnavailable(Exception):
    pass


async def publish(
    producer: AIOKafkaProducer,
    envelope: WebhookEnvelope,
    key: bytes,
    timeout: float = 5.0,
    journal: Journal | None = None,
    *,
    embedded: bool = False,
) -> None:
    """Write ``envelope`` with record ``key`` (its lead's: ``ingest/partition.py``)."""
    started = time.perf_counter()
    value = WEBHOOKS.encode(envelope)
    try:
        # asyncio.timeout, not wait_for: wait_for wraps the send in a task of its own.
        async with asyncio.timeout(timeout):
            if embedded:
                await refresh_if_stale(producer)
            await producer.send_and_wait(WEBHOOKS.name, key=key, value=value)
    except (KafkaError, TimeoutError, OSError) as exc:
        metrics.BROKER_ERRORS.labels("produce").inc()
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if journal is not None:
        try:
            await journal.record_accepted(
                WEBHOOKS.name,
                key,
                value,
                request_id=envelope.request_id,
                account_id=envelope.account_id,
                integration_id=envelope.integration_id,
            )
        except Exception as exc:  # the record is in the broker: processed, but not promised
            metrics.BROKER_ERRORS.labels("journal").inc()
            raise BrokerUnavailable(f"journal: {type(exc).__name__}: {exc}") from exc
    metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)
