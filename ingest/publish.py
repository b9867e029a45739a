"""Writing envelopes to ``hookline.webhooks``: acks=all, bounded wait, and a
clear "broker unavailable" when that cannot be done (the gateway answers 503)."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hookline import metrics
from schemas.envelope import WebhookEnvelope
from schemas.topics import WEBHOOKS


class BrokerUnavailable(Exception):
    pass


async def publish(
    producer: AIOKafkaProducer, envelope: WebhookEnvelope, timeout: float = 5.0
) -> None:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(
            producer.send_and_wait(
                WEBHOOKS.name, key=envelope.integration_id.encode(), value=WEBHOOKS.encode(envelope)
            ),
            timeout,
        )
    except (KafkaError, TimeoutError, OSError) as exc:
        metrics.BROKER_ERRORS.labels("produce").inc()
        raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
    metrics.PRODUCE_SECONDS.observe(time.perf_counter() - started)
