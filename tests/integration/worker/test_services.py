"""Proof that the real-service fixtures work: a round trip through the broker
and through ClickHouse."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from core.kafka import CompactedTopicReader, ensure_topics, new_producer
from schemas.topics import WEBHOOKS, TopicSpec
from tests.conftest import unique_topic

pytestmark = [pytest.mark.kafka]


async def test_produce_and_consume_through_broker(bootstrap: str) -> None:
    topic = unique_topic()
    await ensure_topics(bootstrap, [TopicSpec(topic, "k", WEBHOOKS.value, partitions=2)])
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        for i in range(20):
            await producer.send_and_wait(topic, key=f"k{i % 3}".encode(), value=f"v{i}".encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=unique_topic("g"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while len(seen) < 20:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    seen += [r.value for r in records]
    finally:
        await consumer.stop()
    assert sorted(seen) == sorted(f"v{i}".encode() for i in range(20))


async def test_compacted_reader_catches_up_and_sees_tombstones(bootstrap: str) -> None:
    topic = unique_topic("compact")
    await ensure_topics(bootstrap, [TopicSpec(topic, "k", WEBHOOKS.value, 1, compacted=True)])
    producer = new_producer(bootstrap)
    await producer.start()
    # Several records per batch: the embedded broker's ListOffsets is wrong for
    # multi-record batches; the reader must still see all of them before "ready".
    for i in range(50):
        await producer.send(topic, key=f"k{i % 5}".encode(), value=f"v{i}".encode())
    await producer.send_and_wait(topic, key=b"k0", value=None)
    state: dict[bytes, bytes] = {}

    def handle(key: bytes | None, value: bytes | None) -> None:
        assert key is not None
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value

    reader = CompactedTopicReader(bootstrap, topic, handle)
    await reader.start(ready_timeout=20)
    try:
        assert reader.ready
        assert state == {b"k1": b"v46", b"k2": b"v47", b"k3": b"v48", b"k4": b"v49"}
        metadata = await producer.send_and_wait(topic, key=b"k9", value=b"late")
        await reader.wait_applied(metadata.partition, metadata.offset, timeout=10)
        assert state[b"k9"] == b"late"
        # The sync barrier: caught up again at a moment after a later write.
        await producer.send_and_wait(topic, key=b"k10", value=b"later")
        written = time.time()
        await reader.wait_caught_up_after(written, timeout=10)
        assert reader.caught_up_at >= written and state[b"k10"] == b"later"
    finally:
        await producer.stop()
        await reader.stop()


@pytest.mark.clickhouse
async def test_clickhouse_write_and_read(clickhouse) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    columns = ["account_id", "phone", "name", "tags", "fields", "applied", "updated_at", "version"]
    await clickhouse.insert(
        "leads", [["acc_1", "+5511999999999", "Ana", ["vip"], {"a": "1"}, [], now, 1]], columns
    )
    rows = await clickhouse.query(
        "SELECT name, tags, fields FROM {db}.leads WHERE account_id = {acc:String}",
        {"acc": "acc_1"},
    )
    assert rows == [{"name": "Ana", "tags": ["vip"], "fields": {"a": "1"}}]
