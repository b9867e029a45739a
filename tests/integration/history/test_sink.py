"""The history sink against the real broker and real ClickHouse."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import CommitFailedError, KafkaError

from core import metrics
from core.kafka import ensure_topics, new_producer
from hookline.history.clickhouse import ClickHouse
from hookline.history.finished import RecentlyStored
from hookline.history.sink import HistorySink
from hookline.history.store import HistoryStore
from schemas.channels import GenericHttpSettings
from schemas.config import Account, Channel, Integration, UrlToken
from schemas.history import CommandResult, MessageSent, WebhookHistory
from schemas.leads import LeadState
from schemas.topics import CONFIG, DEADLETTER, HISTORY, LEADS
from schemas.types import Plan, fingerprint, utcnow
from tests.conftest import new_sink, started_broker
from tests.integration.history.records import dead_letter

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@asynccontextmanager
async def running_sink(
    bootstrap: str, clickhouse: ClickHouse
) -> AsyncIterator[tuple[HistoryStore, AIOKafkaProducer, HistorySink]]:
    """A sink in a group of its own over ``clickhouse``, and a producer to feed it."""
    store = HistoryStore(clickhouse)
    sink = new_sink(bootstrap, store)
    producer = new_producer(bootstrap)
    await producer.start()
    await sink.start()
    try:
        yield store, producer, sink
    finally:
        await sink.stop()
        await producer.stop()


def unmatched(account: str, request_id: str) -> WebhookHistory:
    """A webhook of ``int_1`` that matched nothing."""
    return WebhookHistory(
        request_id=request_id,
        account_id=account,
        integration_id="int_1",
        received_at=utcnow(),
        status="unmatched",
    )


async def _eventually(check, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def test_sink_stores_history_leads_messages_and_config(bootstrap: str, clickhouse) -> None:
    account = f"acc_{secrets.token_hex(4)}"
    async with running_sink(bootstrap, clickhouse) as (store, producer, _):
        webhook = WebhookHistory(
            request_id="r1",
            account_id=account,
            integration_id="int_1",
            received_at=utcnow(),
            status="matched",
            event="E",
            phone="+5511999999999",
            fields={"a": 1},
        )
        for _ in range(2):  # delivered twice: stored once
            await producer.send(HISTORY.name, key=b"r1", value=HISTORY.encode(webhook))
        message = MessageSent(
            command_id="c1",
            account_id=account,
            phone="+5511999999999",
            channel="recording",
            message_type="text",
            content="Oi",
        )
        await producer.send(HISTORY.name, key=b"c1", value=HISTORY.encode(message))
        lead = LeadState(
            account_id=account, phone="+5511999999999", name="Ana", tags=["vip"], version=3
        )
        await producer.send(
            LEADS.name, key=f"{account}:+5511999999999".encode(), value=LEADS.encode(lead)
        )
        record = Account(id=account, name="A", plan=Plan.elite, api_key_hash="h")
        await producer.send(CONFIG.name, key=record.key.encode(), value=CONFIG.encode(record))
        await producer.send_and_wait(
            CONFIG.name, key=f"integration:int_{account[4:]}".encode(), value=None
        )

        rows = await _eventually(lambda: store.webhooks(account, "int_1"))
        assert len(rows) == 1 and rows[0]["fields"] == {"a": 1}
        stored_lead = await _eventually(lambda: store.lead(account, "+5511999999999"))
        assert stored_lead["tags"] == ["vip"] and stored_lead["name"] == "Ana"
        messages = await _eventually(lambda: store.messages(account, "+5511999999999"))
        assert [m["content"] for m in messages] == ["Oi"]

        async def config_rows():
            return [
                r
                for r in await store.latest_config()
                if r["key"] in (record.key, f"integration:int_{account[4:]}")
            ]

        config = await _eventually(lambda: _two(config_rows))
        assert {r["key"]: r["deleted"] for r in config} == {
            record.key: 0,
            f"integration:int_{account[4:]}": 1,
        }


async def test_a_sink_notes_what_it_stored_for_the_journal_pruner(
    bootstrap: str, clickhouse
) -> None:
    """What ``hookline dev``'s pruner reads instead of asking ClickHouse: noted only
    once stored, so ClickHouse agrees with every note."""
    account = f"acc_{secrets.token_hex(4)}"
    matched = WebhookHistory(
        request_id=f"{account}-1",
        account_id=account,
        integration_id="int_1",
        received_at=utcnow(),
        status="matched",
        phone="+5511999999999",
        command_ids=[f"{account}-c1", f"{account}-c2"],
    )
    failed = WebhookHistory(
        request_id=f"{account}-2",
        account_id=account,
        integration_id="int_1",
        received_at=utcnow(),
        status="error",
    )
    results = [
        CommandResult(
            command_id=command_id,
            account_id=account,
            integration_id="int_1",
            request_id=matched.request_id,
            phone="+5511999999999",
            type="add_tag",
            status="applied",
        )
        for command_id in matched.command_ids
    ]
    ids = [matched.request_id, failed.request_id]
    async with running_sink(bootstrap, clickhouse) as (store, producer, sink):
        recently = sink.recently = RecentlyStored()
        for record in (matched, failed, *results):
            await producer.send(HISTORY.name, key=b"k", value=HISTORY.encode(record))
        await producer.send_and_wait(
            DEADLETTER.name, key=b"int_1", value=DEADLETTER.encode(dead_letter(failed, 7))
        )

        async def noted():
            return recently.finished(ids) == set(ids)

        await _eventually(noted)
        assert await store.completed([(i, account, "int_1") for i in ids]) == set(ids)


async def test_a_record_clickhouse_cannot_read_is_left_out_and_the_rest_stored(
    clickhouse, caplog: pytest.LogCaptureFixture
) -> None:
    """One record that does not parse fails ClickHouse's insert of its whole batch: the
    batch is then decoded in Python, that record logged and left out, the rest stored,
    as the Python path always did. On a broker of its own: other tests read the session
    broker's history topic and fail on that record."""
    account = f"acc_{secrets.token_hex(4)}"
    good = [unmatched(account, f"{account}-{n}") for n in range(2)]
    cut_short = HISTORY.encode(good[0])[:40]
    assert cut_short.startswith(b'{"kind":"webhook"')
    rows_written = metrics.HISTORY_ROWS.labels("webhooks")
    written_before = rows_written._value.get()
    broker = started_broker()
    try:
        await ensure_topics(broker.bootstrap)
        async with running_sink(broker.bootstrap, clickhouse) as (store, producer, sink):
            for record in (good[0], cut_short, good[1]):
                value = record if isinstance(record, bytes) else HISTORY.encode(record)
                # One key, one partition: the three in one batch.
                await producer.send(HISTORY.name, key=account.encode(), value=value)
            await producer.flush()
            assert await sink.drained(timeout=30.0)
            rows = await store.webhooks(account, "int_1")
    finally:
        broker.stop()
    assert sorted(r["request_id"] for r in rows) == [good[0].request_id, good[1].request_id]
    assert rows_written._value.get() - written_before == 2  # rows, not records
    said = [r.getMessage() for r in caplog.records]
    assert "history records not read by ClickHouse; decoding them here" in said
    assert "undecodable record skipped by history sink" in said


async def _two(fetch):
    rows = await fetch()
    return rows if len(rows) == 2 else None


async def test_the_config_audit_log_holds_fingerprints_of_secrets(
    bootstrap: str, clickhouse
) -> None:
    account = f"acc_{secrets.token_hex(4)}"
    secret, header = "whsec_" + secrets.token_hex(8), "Bearer " + secrets.token_hex(8)
    integration = Integration(
        id=f"int_{account[4:]}",
        account_id=account,
        name="Loja",
        tokens=[UrlToken(hash="ab")],
        secret=secret,
    )
    channel = Channel(
        id=account,
        account_id=account,
        settings=GenericHttpSettings(
            type="generic_http", url="https://crm.example/send", headers={"Authorization": header}
        ),
    )
    async with running_sink(bootstrap, clickhouse) as (_, producer, _):
        for record in (integration, channel):
            await producer.send_and_wait(
                CONFIG.name, key=record.key.encode(), value=CONFIG.encode(record)
            )

        async def stored():
            return await clickhouse.query(
                "SELECT key, record_json FROM {db}.config_log WHERE account_id = {a:String}",
                {"a": account},
            )

        rows = await _eventually(lambda: _two(stored))
    logged = {row["key"]: json.loads(row["record_json"]) for row in rows}
    assert logged[integration.key]["secret"] == fingerprint(secret)
    assert logged[channel.key]["settings"]["headers"] == {"Authorization": fingerprint(header)}
    assert logged[integration.key]["name"] == "Loja"  # the rest as written
    text = json.dumps(rows)
    assert secret not in text and header not in text


async def test_sink_keeps_retrying_while_clickhouse_cannot_store(
    bootstrap: str, clickhouse_server
) -> None:
    """The target database does not exist at first (every insert fails); once it is
    created the batch is stored: nothing lost, offsets committed only after, and only
    then does the sink say it stored all (``hookline dev`` skips publishing leads again
    at its next start on that word)."""
    account = f"acc_{secrets.token_hex(4)}"
    late_db = clickhouse_server.with_database(f"late_{secrets.token_hex(4)}")
    try:
        async with running_sink(bootstrap, late_db) as (store, producer, sink):
            for i in range(3):
                record = unmatched(account, f"late-{i}")
                await producer.send_and_wait(
                    HISTORY.name, key=record.request_id.encode(), value=HISTORY.encode(record)
                )
            await asyncio.sleep(2)  # several failed attempts
            assert not await sink.drained(timeout=1.0)
            await late_db.migrate()
            assert await sink.drained(timeout=60.0)
            rows = await store.webhooks(account, "int_1")
            assert sorted(r["request_id"] for r in rows) == ["late-0", "late-1", "late-2"]
    finally:
        await late_db._call(late_db.client.command, f"DROP DATABASE IF EXISTS {late_db.database}")


async def test_a_draining_sink_stores_at_once_everything_written_before(
    bootstrap: str, clickhouse
) -> None:
    """``hookline dev`` stops its sink once nothing writes to the broker: ``drained``
    returns when every record acknowledged before the call is stored and committed, as
    proved by a Fetch sent after the call (not one already on its way), and the sink
    stores them at once, not at its next flush (30 s away here: every record fetched
    after the first call is stored at once)."""
    account = f"acc_{secrets.token_hex(4)}"
    store = HistoryStore(clickhouse)
    sink = new_sink(bootstrap, store, flush_seconds=30.0)
    producer = new_producer(bootstrap)
    await producer.start()
    await sink.start()
    try:
        # Caught up and idle first: fetches are on their way that know nothing of what
        # follows (the sink stores what it fetches at once from now on, too).
        assert await sink.drained(timeout=60.0)
        records = [unmatched(account, f"drain-{i}") for i in range(300)]
        sent = [
            await producer.send(HISTORY.name, key=r.request_id.encode(), value=HISTORY.encode(r))
            for r in records
        ]
        await asyncio.gather(*sent)
        assert await sink.drained(timeout=20.0)
        rows = await clickhouse.query(
            "SELECT count() AS n FROM {db}.webhooks WHERE account_id = {acc:String}",
            {"acc": account},
        )
        assert rows == [{"n": len(records)}]
    finally:
        await sink.stop()
        await producer.stop()


async def _at_least(rows_coro, count: int):
    rows = await rows_coro
    return rows if len(rows) >= count else None


class _FailsOnce(AIOKafkaConsumer):
    """A real consumer whose second fetch fails (after the first has filled a batch
    that is not stored yet) and whose first commit is refused as after a rebalance."""

    created: list[_FailsOnce] = []

    def __init__(self, *topics, **options) -> None:
        super().__init__(*topics, **options)
        self.fetches = 0
        self.refused_commits = 0
        self.created.append(self)

    async def getmany(self, *partitions, **options):
        fetched = await super().getmany(*partitions, **options)
        self.fetches += 1 if fetched else 0
        if self.fetches == 2 and fetched:
            self.fetches += 1
            raise KafkaError("injected fetch failure")
        return fetched

    async def commit(self, offsets=None):
        if not self.refused_commits:
            self.refused_commits += 1
            raise CommitFailedError("injected: the group has rebalanced")
        return await super().commit(offsets)


class _SinkWithFailures(HistorySink):
    consumer_class = _FailsOnce


async def test_sink_survives_failed_fetches_and_refused_commits(bootstrap: str, clickhouse) -> None:
    """Neither error stops history: the unstored batch is re-read from the committed
    offsets, and later records are still stored."""
    account = f"acc_{secrets.token_hex(4)}"
    store = HistoryStore(clickhouse)
    _FailsOnce.created.clear()
    # Slow flushes, so the first fetch is still unstored when the second one fails.
    sink = new_sink(bootstrap, store, sink_class=_SinkWithFailures, flush_seconds=1.5)
    producer = new_producer(bootstrap)
    await producer.start()
    await sink.start()
    try:

        async def send(request_id: str) -> None:
            record = unmatched(account, request_id)
            await producer.send_and_wait(
                HISTORY.name, key=request_id.encode(), value=HISTORY.encode(record)
            )

        await send("before-0")
        await asyncio.sleep(0.5)
        await send("before-1")
        rows = await _eventually(lambda: _at_least(store.webhooks(account, "int_1"), 2), 30)
        assert sorted(r["request_id"] for r in rows) == ["before-0", "before-1"]
        await send("after")
        rows = await _eventually(lambda: _at_least(store.webhooks(account, "int_1"), 3), 30)
        assert "after" in {r["request_id"] for r in rows}
        # Both faults fired (checked last: the refused commit follows the whole batch).
        (consumer,) = _FailsOnce.created
        assert consumer.fetches >= 3 and consumer.refused_commits == 1
        assert sink.running
    finally:
        await sink.stop()
        await producer.stop()
