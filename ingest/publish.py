"""Writing envelopes to ``hookline.webhooks``: acks=all, bounded wait, and a
clear "broker unavailable" when that cannot be done (the gateway answers 503).

In embedded mode the envelope is journaled first, then produced, then answered 200
(the embedded broker forgets everything when it stops: ``core/journal.py``). Journal
first: a worker may process the envelope as soon as the broker has it and journal
its dedup mark; had the front died between the produce and its own journal write,
the restarted pipeline kept the mark and lost the envelope and its commands with the
old broker, and the platform's retry (never answered 200 the first time) was then
"duplicate": answered 200, acted on never (``test_dev_killed_mid_load_then_restarted``
failed so, 2 runs in about 13). A journaled envelope whose produce then fails (503)
is published again at the next start; the platform's retry and it share a delivery
key, so the webhook is acted on once. That broker also acknowledges writes to
partitions it does not have (after it restarted empty), so there the producer's
metadata is made current first (``ingest/metadata.py``)."""

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
        except Exception as exc:  # nothing written anywhere: the platform retries
            metrics.BROKER_ERRORS.labels("journal").inc()
            raise BrokerUnavailable(f"journal: {type(exc).__name__}: {exc}") from exc
    try:
        # asyncio.timeout, not wait_for: wait_for wraps the send in a task of its own.
        async with asyncio.timeout(timeout):
            if embedded:
                await refresh_if_stale(producer)
            await producer.send_and_wait(WEBHOOKS.name, key=key, value=value)
    except (KafkaError, TimeoutError, OSError) as exc:
        metrics.BROKER_ERRORS.labels("produce").inc()
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
    metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)
