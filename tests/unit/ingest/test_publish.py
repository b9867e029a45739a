"""In embedded mode an envelope is journaled before it is produced: a front killed
between the two must not leave the broker (and a worker's journaled dedup mark)
holding a webhook its journal does not, which the restarted pipeline would lose."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from core.journal import Journal, load_key
from core.kafka import new_producer
from ingest.publish import BrokerUnavailable, publish
from schemas.envelope import WebhookEnvelope
from schemas.topics import WEBHOOKS

pytestmark = pytest.mark.kafka


def _envelope() -> WebhookEnvelope:
    return WebhookEnvelope(
        request_id=f"req_{secrets.token_hex(8)}",
        integration_id="int_1",
        account_id="acc_1",
        received_at=datetime.now(UTC),
        content_type="application/json",
        body=b'{"event": "x"}',
    )


async def _request_ids_on_the_topic(bootstrap: str) -> set[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(WEBHOOKS.name, p) for p in range(WEBHOOKS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: set[str] = set()
        while True:
            fetched = await consumer.getmany(timeout_ms=500)
            if not fetched:
                return found
            for records in fetched.values():
                found |= {WEBHOOKS.decode(r.value).request_id for r in records}
    finally:
        await consumer.stop()


class RefusingJournal:
    """A journal whose disk refuses the write."""

    async def record_accepted(self, *args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")


async def test_a_journal_that_refuses_means_nothing_is_produced(bootstrap: str) -> None:
    producer = new_producer(bootstrap)
    await producer.start()
    envelope = _envelope()
    try:
        with pytest.raises(BrokerUnavailable, match="journal: OSError: disk full"):
            await publish(producer, envelope, b"k", journal=RefusingJournal(), embedded=True)  # type: ignore[arg-type]
    finally:
        await producer.stop()
    assert envelope.request_id not in await _request_ids_on_the_topic(bootstrap)


async def test_an_accepted_envelope_is_journaled_and_produced(
    bootstrap: str, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "front.sqlite", load_key(tmp_path)).open_for_writing()
    producer = new_producer(bootstrap)
    await producer.start()
    envelope = _envelope()
    try:
        await publish(producer, envelope, b"k", journal=journal, embedded=True)
    finally:
        await producer.stop()
        journaled = [entry.request_id for entry in journal.accepted()]
        journal.close()
    assert journaled == [envelope.request_id]
    assert envelope.request_id in await _request_ids_on_the_topic(bootstrap)
