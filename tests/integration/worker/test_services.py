"""Proof that the real-service fixtures work: a round trip through the broker
and through ClickHouse."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from core.config.state import secret_hash
from core.config.view import SYNC_LAG_SECONDS, ConfigView
from core.config.writer import ConfigWriter
from core.kafka import CompactedTopicReader, ensure_topics, new_producer
from schemas.config import Account, Integration, IntegrationMapping, UrlToken
from schemas.envelope import WebhookEnvelope
from schemas.mapping import Mapping
from schemas.topics import CONFIG, WEBHOOKS, TopicSpec
from schemas.types import Plan, new_id, utcnow
from streams.agents import decide_with_config_synced
from tests.conftest import started_broker, unique_topic

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
        # Read to the end: what the topic held when asked is applied on return, records
        # sent together too (the embedded broker's end offset is then the first one's + 1).
        for i in range(5):
            await producer.send(topic, key=f"m{i}".encode(), value=b"together")
        await producer.flush()
        await reader.wait_read_to_end(timeout=10)
        assert [state.get(f"m{i}".encode()) for i in range(5)] == [b"together"] * 5
        assert not await reader.wait_read_to_end(timeout=10)  # nothing since: no wait
    finally:
        await producer.stop()
        await reader.stop()


@pytest.mark.clickhouse
async def test_clickhouse_write_and_read(clickhouse) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    columns = ["account_id", "phone", "name", "tags", "fields", "updated_at", "version"]
    await clickhouse.insert(
        "leads", [["acc_1", "+5511999999999", "Ana", ["vip"], {"a": "1"}, now, 1]], columns
    )
    rows = await clickhouse.query(
        "SELECT name, tags, fields FROM {db}.leads WHERE account_id = {acc:String}",
        {"acc": "acc_1"},
    )
    assert rows == [{"name": "Ana", "tags": ["vip"], "fields": {"a": "1"}}]


@asynccontextmanager
async def writer_and_view(bootstrap: str) -> AsyncIterator[tuple[ConfigWriter, ConfigView]]:
    """A config writer (with its own view, as the API has) and another process's view
    of the same topic (a worker's), all started."""
    producer = new_producer(bootstrap)
    writers_view, view = ConfigView(bootstrap), ConfigView(bootstrap)
    await producer.start()
    await writers_view.start()
    await view.start()
    try:
        yield ConfigWriter(producer, writers_view), view
    finally:
        await view.stop()
        await writers_view.stop()
        await producer.stop()


async def test_a_config_view_applies_config_written_before_a_webhook_and_asks_only_if_needed(
    bootstrap: str,
) -> None:
    """A worker meeting an unmatched webhook asks its view for the config written before
    the webhook came (streams/agents.py): written just before, it is there on return;
    nothing written since, the answer comes from one ListOffsets, no waiting out a
    margin; the broker is not asked again for the rest of a batch, nor for an old
    webhook (a backlog)."""
    async with writer_and_view(bootstrap) as (writer, view):
        consumer = view._reader._offsets
        assert consumer is not None
        asked = 0
        end_offsets = consumer.end_offsets

        async def counted(partitions: Any) -> Any:
            nonlocal asked
            asked += 1
            return await end_offsets(partitions)

        consumer.end_offsets = counted  # type: ignore[method-assign]
        account = Account(id=new_id("acc"), name="Loja", plan=Plan.elite, api_key_hash="0" * 64)
        await writer.put(account)
        await view.wait_synced(time.time(), time.monotonic())
        assert view.state.account(account.id) == account
        assert asked == 1
        read_at = time.monotonic()  # a batch in hand
        changes = view.changes
        await view.wait_synced(time.time(), read_at)  # nothing written since
        assert asked == 2
        await view.wait_synced(time.time(), read_at)  # the same batch
        await view.wait_synced(time.time() - 60, time.monotonic())  # an old one
        assert asked == 2
        assert view.changes == changes


async def test_a_mapping_the_reader_applies_while_the_broker_answers_is_used(
    bootstrap: str,
) -> None:
    """The race a CI run met (tests/integration/worker/test_e2e.py: a replay right
    after its mapping was fixed was dead-lettered again, "no mapping yet"). The worker
    decided without the mapping, asked the broker for the config topic's end, and the
    reader applied the mapping before that answer came: nothing was left to read, and
    the worker kept its stale decision. Here the mapping is written, and applied, while
    the broker is being asked, every time."""
    account = Account(id=new_id("acc"), name="Loja", plan=Plan.elite, api_key_hash="0" * 64)
    integration = Integration(
        id=new_id("int"),
        account_id=account.id,
        name="Hotmart",
        platform="hotmart",
        tokens=[UrlToken(hash=secret_hash(new_id("tok")))],
    )
    mapping = IntegrationMapping(
        id=integration.id,
        account_id=account.id,
        mapping=Mapping(event="event", name="data.buyer.name", phone="data.buyer.checkout_phone"),
    )
    envelope = WebhookEnvelope(
        request_id=new_id("req"),
        integration_id=integration.id,
        account_id=account.id,
        received_at=utcnow(),
        content_type="application/json",
        body=json.dumps(
            {
                "event": "PURCHASE_APPROVED",
                "data": {"buyer": {"name": "Ana", "checkout_phone": "11999990001"}},
            }
        ).encode(),
    )
    async with writer_and_view(bootstrap) as (writer, view):
        consumer = view._reader._offsets
        assert consumer is not None
        end_offsets = consumer.end_offsets
        fixed = False

        async def mapping_fixed_meanwhile(partitions: Any) -> Any:
            nonlocal fixed
            if not fixed:
                fixed = True
                await writer.put(mapping)
                async with asyncio.timeout(10):  # applied by the worker's view too
                    while view.state.mapping(integration.id) is None:
                        await asyncio.sleep(0.01)
            return await end_offsets(partitions)

        await writer.put(account)
        await writer.put(integration)
        await view.wait_synced(time.time(), time.monotonic())
        assert view.state.integration(integration.id) == integration
        consumer.end_offsets = mapping_fixed_meanwhile  # type: ignore[method-assign]
        outcome = await decide_with_config_synced(
            view, envelope, False, time.time(), time.monotonic()
        )
        assert fixed, "the view did not ask the broker"
        assert outcome.failure is None, outcome.failure
        assert (outcome.history.status, outcome.history.phone) == ("unmatched", "+5511999990001")


async def test_a_config_view_never_takes_a_late_handled_fetch_answer_for_a_fresh_one() -> None:
    """The race a CI run met: a Fetch answered before config was written, but handled
    after the webhook that relies on that config was received, past SYNC_LAG_SECONDS
    (a stalled loop here; a busy broker or loaded cores in CI). Stamped when handled,
    its stale high watermark passed for "caught up after the webhook", so the view
    skipped the broker and the worker called the integration missing. Stamped when the
    Fetch was sent, it covers only what was written before that, and the view asks.

    On a broker of its own: it is stopped (SIGSTOP) once the config is written, so
    the only answer handled after the stall is the stale one."""
    own = started_broker()
    assert own.pid is not None
    view = ConfigView(own.bootstrap)
    try:
        await ensure_topics(own.bootstrap)
        await view.start()
        reader = view._reader._consumer
        assert reader is not None
        await asyncio.sleep(0.5)  # idle: the reader has a long-poll Fetch in flight
        account = Account(id=new_id("acc"), name="Loja", plan=Plan.elite, api_key_hash="0" * 64)
        handled_before = {tp: reader.last_poll_timestamp(tp) for tp in reader.assignment()}
        written: dict[str, Any] = {}

        async def write() -> None:
            producer = new_producer(own.bootstrap)
            await producer.start()
            try:
                written["metadata"] = await producer.send_and_wait(
                    CONFIG.name, key=account.key.encode(), value=CONFIG.encode(account)
                )
            finally:
                await producer.stop()

        def write_after_the_fetch_is_answered() -> None:
            time.sleep(1.0)  # the Fetch in flight is answered (the broker holds it ≤ 200 ms)
            asyncio.run(write())
            written["received"] = time.time()  # a webhook received once the config is
            os.kill(own.pid, signal.SIGSTOP)

        writer = threading.Thread(target=write_after_the_fetch_is_answered)
        writer.start()
        writer.join()  # this loop stalls meanwhile: the answer waits in its socket
        time.sleep(SYNC_LAG_SECONDS + 0.5)  # noqa: ASYNC251 - the stall is the point
        await asyncio.sleep(0.5)  # the stale answer is handled; the broker answers no more
        tp = TopicPartition(CONFIG.name, written["metadata"].partition)
        assert reader.last_poll_timestamp(tp) != handled_before[tp]  # an answer was handled
        assert (reader.highwater(tp) or 0) <= written["metadata"].offset  # from before the write
        asyncio.get_running_loop().call_later(0.5, os.kill, own.pid, signal.SIGCONT)
        # Stamped when handled, the stale answer would pass for "caught up since":
        assert view._reader.caught_up_at < written["received"] + SYNC_LAG_SECONDS
        # so the view asks the broker, and waits for what it holds.
        await view.wait_synced(written["received"], time.monotonic())
        assert view.state.account(account.id) == account
    finally:
        os.kill(own.pid, signal.SIGCONT)
        await view.stop()
        own.stop()


async def test_a_workers_send_share_counts_the_commands_topics_own_partitions(tmp_path) -> None:
    """``hookline dev`` gives the commands topic a partition per worker, fewer than
    declared (hookline/embedded/partitions.py): a worker owning one of two partitions
    may use half of each account's message rate, not one partition's share of the
    declared count (with two workers, a quarter of the rate in all)."""
    import faust

    from core.settings import Settings
    from core.worker.services import WorkerServices
    from schemas.topics import COMMANDS

    broker = started_broker()  # its own: the session broker's topics have the declared counts
    try:
        await ensure_topics(broker.bootstrap, partitions={COMMANDS.name: 2})
        settings = Settings(
            bootstrap_servers=broker.bootstrap, embedded_broker=True, journal_dir=tmp_path
        )
        services = WorkerServices(
            faust.App("share-test", broker=f"kafka://{broker.bootstrap}"), settings
        )
        assert services.commands_share == 1.0  # not assigned yet: all of it
        await services.on_start()
        try:
            assigned = {TopicPartition(COMMANDS.name, 1), TopicPartition(WEBHOOKS.name, 1)}
            await services._on_assigned(None, assigned)
            assert services.commands_share == 0.5
        finally:
            await services.on_stop()
    finally:
        broker.stop()
