"""The history tables' definitions (hookline/history/tables.py) against the DDL
operators apply (deploy/clickhouse/*.sql), on a real, migrated ClickHouse: a
column added to one and not the other, or a record field neither stored nor
declared unstored, fails here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import READ_BY_CLICKHOUSE, TABLES, rows_for
from schemas.commands import ActionCommand
from schemas.deadletter import DeadLetter
from schemas.envelope import WebhookEnvelope
from schemas.history import (
    CommandResult,
    ConfigChange,
    MessageSent,
    RejectedRequest,
    WebhookHistory,
)
from schemas.leads import CommandOutcome, LeadState
from schemas.topics import HISTORY

AT = datetime(2026, 11, 29, 12, 30, 1, 250000, tzinfo=UTC)
ACCOUNT, INTEGRATION = "acc_1a2b", "int_3c4d"


def one_of_each() -> list[Any]:
    """A record for every table, every field set to something other than its default."""
    envelope = WebhookEnvelope(
        request_id="req-1",
        integration_id=INTEGRATION,
        account_id=ACCOUNT,
        received_at=AT,
        content_type="application/json",
        headers={"x-event": "sale"},
        body=b'{"a": 1}',
        delivery_id="d-1",
    )
    return [
        WebhookHistory(
            request_id="req-1",
            account_id=ACCOUNT,
            integration_id=INTEGRATION,
            delivery_id="d-1",
            received_at=AT,
            processed_at=AT,
            status="matched",
            event="sale",
            name="Ana",
            phone="+5511999990000",
            phone_raw="(11) 99999-0000",
            fields={"produto": "Curso"},
            errors=["e"],
            warnings=["w"],
            matched_event_ids=["evt_1"],
            command_ids=["cmd-1"],
            action_types=["add_tag"],
            content_type="application/json",
            headers={"x-event": "sale", "authorization": "Bearer s3cret"},
            body_format="json",
            body_text='{"a": 1}',
            parsed_json='{"a": 1}',
        ),
        CommandResult(
            command_id="cmd-1",
            account_id=ACCOUNT,
            integration_id=INTEGRATION,
            request_id="req-1",
            phone="+5511999990000",
            type="add_tag",
            status="applied",
            detail="ok",
            applied_at=AT,
        ),
        MessageSent(
            command_id="cmd-2",
            account_id=ACCOUNT,
            phone="+5511999990000",
            channel="recording",
            message_type="text",
            content="Olá",
            status="failed",
            reason="rate_limited",
            detail="503",
            provider_message_id="wamid.1",
            sent_at=AT,
            retry_of="cmd-0",
            command=ActionCommand(
                command_id="cmd-2",
                account_id=ACCOUNT,
                integration_id=INTEGRATION,
                request_id="req-1",
                event_id="evt_1",
                action_id="act_1",
                type="send_message",
                phone="+5511999990000",
                params={"text": "Olá"},
                created_at=AT,
                retry_of="cmd-0",
            ),
        ),
        LeadState(
            account_id=ACCOUNT,
            phone="+5511999990000",
            name="Ana",
            tags=["cliente"],
            fields={"produto": "Curso"},
            outcomes={"cmd-1": CommandOutcome(status="applied")},
            updated_at=AT,
            version=3,
        ),
        ConfigChange(
            key="integration:int_3c4d",
            account_id=ACCOUNT,
            record_kind="integration",
            record_json="{}",
            deleted=True,
            changed_at=AT,
        ),
        RejectedRequest(
            request_id="req-2",
            account_id=ACCOUNT,
            integration_id=INTEGRATION,
            received_at=AT,
            status=401,
            reason="bad signature",
            scheme="hmac",
            method="POST",
            content_type="application/json",
            headers={"cookie": "c"},
            body_bytes=9,
            body_excerpt="{}",
            remote="10.0.0.1",
        ),
        DeadLetter(
            envelope=envelope,
            reason="mapping",
            errors=["phone missing"],
            source_topic="hookline.webhooks",
            source_partition=0,
            source_offset=7,
            failed_at=AT,
        ),
    ]


async def _columns(db: ClickHouse, table: str) -> list[str]:
    rows = await db.query(f"DESCRIBE TABLE {{db}}.{table}")
    return [r["name"] for r in rows]


async def test_every_ddl_table_has_a_definition_and_the_same_columns(
    clickhouse: ClickHouse,
) -> None:
    stored = {r["name"] for r in await clickhouse.query("SHOW TABLES FROM {db}")}
    assert stored == {t.name for t in TABLES}
    for table in TABLES:
        ddl = await _columns(clickhouse, table.name)
        assert sorted(ddl) == sorted(table.column_names), table.name
        assert len(set(table.column_names)) == len(table.column_names), table.name


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_record_field_is_stored_or_declared_unstored(table) -> None:
    fields = set(table.record.model_fields)
    sources = {c.source for c in table.columns if c.source}
    assert sources <= fields, f"{table.name}: columns read fields the record lacks"
    assert table.not_stored <= fields, f"{table.name}: not_stored names unknown fields"
    nested = {c.name for c in table.columns if c.source is None}
    missing = fields - sources - table.not_stored - nested
    assert not missing, f"{table.name}: fields neither stored nor in not_stored: {missing}"


def test_every_history_record_type_has_a_table() -> None:
    records = one_of_each()
    assert {type(r) for r in records} == {t.record for t in TABLES}


async def test_each_record_round_trips_through_its_table(clickhouse: ClickHouse) -> None:
    store = HistoryStore(clickhouse)
    for record in one_of_each():
        table, row = rows_for(record)
        await store.write(table, [row])
        [stored] = await clickhouse.query(f"SELECT * FROM {{db}}.{table}")
        definition = next(t for t in TABLES if t.name == table)
        expected = dict(zip(definition.column_names, row, strict=True))
        for name, value in expected.items():
            got = stored[name]
            if isinstance(got, datetime):
                got = got.replace(tzinfo=UTC)
            assert got == value, f"{table}.{name}: {got!r} != {value!r}"

    [webhook] = await clickhouse.query("SELECT headers_json FROM {db}.webhooks")
    assert json.loads(webhook["headers_json"])["authorization"] != "Bearer s3cret"


async def test_a_time_in_another_zone_is_stored_as_the_same_instant(
    clickhouse: ClickHouse,
) -> None:
    brasilia = AT.astimezone(timezone(timedelta(hours=-3)))
    naive_utc = AT.replace(tzinfo=None)
    store = HistoryStore(clickhouse)
    for n, at in enumerate((brasilia, naive_utc)):
        result = CommandResult(
            command_id=f"cmd-{n}",
            account_id=ACCOUNT,
            integration_id=INTEGRATION,
            request_id="req-1",
            phone="+5511999990000",
            type="add_tag",
            status="applied",
            applied_at=at,
        )
        table, row = rows_for(result)
        await store.write(table, [row])
    rows = await clickhouse.query("SELECT applied_at FROM {db}.commands ORDER BY command_id")
    assert [r["applied_at"].replace(tzinfo=UTC) for r in rows] == [AT, AT]


def _awkward() -> list[Any]:
    """Records with what the JSON path could read differently from the Python one: a
    time to the microsecond, naive and in another zone, absent optional strings,
    credential headers in any case, non-ASCII text, slashes, quotes, nested fields."""
    brasilia = timezone(timedelta(hours=-3))
    webhook, command, message, *_ = one_of_each()
    return [
        webhook,
        webhook.model_copy(
            update={
                "request_id": "req-3",
                "delivery_id": None,
                "content_type": None,
                "received_at": datetime(2026, 11, 29, 9, 30, 1, 999999, tzinfo=brasilia),
                "processed_at": datetime(2026, 11, 29, 12, 30, 2, 123456),
                "fields": {"produto": 'Ação "dupla" / 2', "itens": [{"n": 1}], "vazio": None},
                "headers": {
                    "x-hub-signature-256": "sha256=abc",
                    "X-Api-KEY": "k",
                    "x-request-id": "a/b\\c",
                    "x-nome": "São Paulo ✓",
                },
                "body_text": '€ \u0000 "q"',
            }
        ),
        command,
        command.model_copy(update={"command_id": "cmd-9", "detail": "", "applied_at": AT}),
        message,
        message.model_copy(update={"command_id": "cmd-8", "command": None, "reason": ""}),
    ]


async def test_clickhouse_reads_each_record_as_python_builds_its_row(
    clickhouse: ClickHouse,
) -> None:
    """The sink's two paths store the same rows: ClickHouse computing them from the
    records as written (``HistoryStore.write_json``) and Python building them."""
    assert clickhouse.reads_json
    other = clickhouse.with_database(f"{clickhouse.database}_json")
    await other.migrate()
    try:
        python, from_json = HistoryStore(clickhouse), HistoryStore(other)
        for record in _awkward():
            table, row = rows_for(record)
            assert table in {t.name for t in READ_BY_CLICKHOUSE.values()}
            await python.write(table, [row])
            await from_json.write_json(table, [HISTORY.encode(record)])
        for table in {rows_for(record)[0] for record in _awkward()}:
            query = f"SELECT * FROM {{db}}.{table} ORDER BY ALL"
            expected, got = await clickhouse.query(query), await other.query(query)
            assert got == expected and len(got) == 2, table
    finally:
        await other._call(other.client.command, f"DROP DATABASE {other.database}")


def test_the_tables_of_every_webhook_are_read_by_clickhouse() -> None:
    """A column given no ``sql`` would quietly send its table back to the Python path,
    a third as fast: the tables a webhook writes to stay on ClickHouse's."""
    assert {"webhooks", "commands", "messages"} <= {t.name for t in READ_BY_CLICKHOUSE.values()}
