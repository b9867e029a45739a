"""The history views' reads (HistoryStore) on a real ClickHouse answer what one query
with FINAL over the whole range answers (tests/integration/history/reference.py), with
every version of a row still on disk (merges stopped) and after merges: re-delivered
rows, replayed webhooks, a webhook whose newer version names another phone, a lead with
more webhooks than a page, ties on a time; and another account's rows never appear."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hookline.history import clickhouse as clickhouse_module
from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore, LeadFilter
from hookline.history.tables import rows_for
from schemas.history import CommandResult, MessageSent, WebhookHistory
from schemas.leads import LeadState
from tests.integration.history import reference
from tests.integration.history.records import dead_letter

pytestmark = pytest.mark.clickhouse

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
A, B = "acc_a1", "acc_b2"
MAIN, SIDE, OTHER = "int_c1", "int_c2", "int_d3"  # A's two integrations, B's one
PHONES = [f"+551196000{n:04d}" for n in range(30)]
HEAVY = PHONES[0]  # more webhooks than a page, in both of A's integrations
MOVED_FROM, MOVED_TO = PHONES[7], PHONES[8]  # a webhook's newer version names another
TABLES = ("webhooks", "commands", "messages", "leads", "deadletters")


def webhook(account: str, integration: str, n: int, **values: Any) -> WebhookHistory:
    at = T0 + timedelta(minutes=n - (n % 50 == 7))  # every 50th shares its time with n-1
    values.setdefault("status", "matched")
    if values["status"] not in ("ping", "error"):
        values.setdefault("phone", HEAVY if n % 2 == 0 else PHONES[1 + n % 29])
    return WebhookHistory(
        request_id=f"{integration}-{n:04d}",
        account_id=account,
        integration_id=integration,
        received_at=at,
        processed_at=at + timedelta(seconds=1),
        event="E",
        parsed_json=json.dumps({"n": n}),
        body_text=json.dumps({"n": n}),
        body_format="json",
        **values,
    )


def results(hook: WebhookHistory) -> list[Any]:
    """A matched webhook's two command results and its message."""
    applied = hook.received_at + timedelta(seconds=2)
    common = {
        "account_id": hook.account_id,
        "integration_id": hook.integration_id,
        "request_id": hook.request_id,
        "phone": hook.phone,
        "applied_at": applied,
    }
    tag = CommandResult(
        command_id=f"{hook.request_id}:tag", type="add_tag", status="applied", **common
    )
    send = CommandResult(
        command_id=f"{hook.request_id}:send", type="send_message", status="applied", **common
    )
    message = MessageSent(
        command_id=send.command_id,
        account_id=hook.account_id,
        phone=hook.phone or "",
        channel="recording",
        message_type="text",
        content=f"Olá {hook.request_id}",
        sent_at=applied,
    )
    return [tag, send, message]


def history() -> list[list[Any]]:
    """Records in the batches the sink would write them (each batch: new parts)."""
    first: list[Any] = []
    later: list[Any] = []
    for n in range(240):
        status = {0: "ping", 1: "error", 2: "unmatched"}.get(n % 10, "matched")
        hook = webhook(A, MAIN, n, status=status)
        first.append(hook)
        if status == "matched":
            first += results(hook)
            if n % 7 == 0:  # results delivered twice, and a redelivery's duplicate note
                later += results(hook)[:1]
                later.append(results(hook)[0].model_copy(update={"status": "duplicate"}))
        if n % 13 == 0:  # the whole webhook delivered twice
            later.append(hook)
        if status == "error":
            first.append(dead_letter(hook, n))
            if n % 20 == 1:  # replayed once the mapping was fixed
                replayed = hook.model_copy(
                    update={
                        "status": "unmatched",
                        "phone": PHONES[n % 30],
                        "processed_at": hook.processed_at + timedelta(hours=1),
                    }
                )
                later.append(replayed)
            elif n % 20 == 11:  # replayed, and failed again
                later.append(
                    hook.model_copy(update={"processed_at": hook.processed_at + timedelta(hours=1)})
                )
    # Went through, then failed when processed again (its dead letter is outstanding).
    again = webhook(A, MAIN, 5)
    later.append(
        again.model_copy(
            update={
                "status": "error",
                "phone": None,
                "processed_at": again.processed_at + timedelta(hours=2),
            }
        )
    )
    later.append(dead_letter(again, 5))
    # A newer version names another phone: the lead it first named no longer has it.
    moved = webhook(A, MAIN, 9, phone=MOVED_FROM)
    first.append(moved)
    later.append(
        moved.model_copy(
            update={"phone": MOVED_TO, "processed_at": moved.processed_at + timedelta(hours=1)}
        )
    )
    for n in range(40):
        hook = webhook(A, SIDE, 1000 + n, phone=HEAVY if n % 3 == 0 else PHONES[20 + n % 10])
        first += [hook, *results(hook)]
    for n in range(60):  # another account, the same phones and times
        hook = webhook(B, OTHER, n, status="error" if n % 10 == 1 else "matched")
        first += [hook, *(results(hook) if hook.status == "matched" else [dead_letter(hook, n)])]
    leads: list[Any] = []
    for i, phone in enumerate(PHONES):
        for account in (A, B):
            lead = LeadState(
                account_id=account,
                phone=phone,
                name=f"{account} {i}",
                tags=["vip"] if i % 3 == 0 else ["lead"],
                fields={"produto": "Curso" if i % 2 else "Ebook"},
                profile={"email": f"p{i}@example.com"},
                updated_at=T0 + timedelta(hours=i),
                version=10,
            )
            if i % 4 == 0:  # an older version, stored first
                first.append(lead.model_copy(update={"version": 9, "tags": ["old"]}))
            leads.append(lead)
    return [first, later, leads]


async def _stored(db: ClickHouse) -> HistoryStore:
    store = HistoryStore(db)
    for batch in history():
        by_table: dict[str, list[list[Any]]] = {}
        for record in batch:
            table, row = rows_for(record)
            by_table.setdefault(table, []).append(row)
        for table, rows in by_table.items():
            await store.write(table, rows)
    return store


@pytest.fixture(params=["versions on disk", "merged"])
async def store(
    request: pytest.FixtureRequest, clickhouse: ClickHouse
) -> AsyncIterator[HistoryStore]:
    for table in TABLES:
        await _command(clickhouse, f"SYSTEM STOP MERGES {clickhouse.database}.{table}")
    stored = await _stored(clickhouse)
    if request.param == "merged":
        for table in TABLES:
            await _command(clickhouse, f"SYSTEM START MERGES {clickhouse.database}.{table}")
            await _command(clickhouse, f"OPTIMIZE TABLE {clickhouse.database}.{table} FINAL")
    else:  # the point of the case: versions are still apart
        [count] = await clickhouse.query("SELECT count() AS n FROM {db}.webhooks")
        [final] = await clickhouse.query("SELECT count() AS n FROM {db}.webhooks FINAL")
        assert count["n"] > final["n"]
    yield stored


async def test_newest_webhooks_of_an_integration(store: HistoryStore) -> None:
    db = store.db
    for account, integration in ((A, MAIN), (A, SIDE), (B, OTHER)):
        for limit in (1, 7, 49, 50, 51, 500):
            got = [r["request_id"] for r in await store.webhooks(account, integration, limit)]
            assert got == await reference.webhooks(db, account, integration, limit), limit
    assert await store.webhooks(A, OTHER) == []  # B's integration, asked by A
    [replayed] = [
        r for r in await store.webhooks(A, MAIN, 500) if r["request_id"] == f"{MAIN}-0001"
    ]
    assert replayed["status"] == "unmatched"  # the latest version


async def test_recent_bodies_leave_pings_out(store: HistoryStore) -> None:
    for account, integration in ((A, MAIN), (A, SIDE), (B, OTHER)):
        for limit in (1, 9, 100, 1000):
            got = await store.recent_bodies(account, integration, limit)
            assert got == await reference.recent_bodies(store.db, account, integration, limit)
    bodies = await store.recent_bodies(A, MAIN, 1000)
    assert len(bodies) == 240 - 24  # every webhook but the pings


LEAD_FILTERS = [
    LeadFilter(),
    LeadFilter(after=PHONES[10], limit=3),
    LeadFilter(tag="vip"),
    LeadFilter(tag="old"),  # only an older version had it
    LeadFilter(field=("fields", "produto", "Curso")),
    LeadFilter(field=("profile", "email", "p12@example.com")),
    LeadFilter(integration=MAIN),
    LeadFilter(integration=MAIN, limit=2),
    # Most of the first phones fail the other filter: more windows of phones are read.
    LeadFilter(integration=MAIN, tag="vip", limit=4),
    LeadFilter(integration=MAIN, field=("profile", "email", "p29@example.com"), limit=1),
    LeadFilter(integration=SIDE, tag="vip"),
    LeadFilter(integration=SIDE, field=("fields", "produto", "Ebook"), limit=1),
    LeadFilter(integration=OTHER),  # another account's integration
    LeadFilter(updated_from=T0 + timedelta(hours=5), updated_to=T0 + timedelta(hours=9)),
]


@pytest.mark.parametrize("query", LEAD_FILTERS, ids=repr)
async def test_leads_by_filter(store: HistoryStore, query: LeadFilter) -> None:
    for account in (A, B):
        got = await store.leads(account, query)
        expected = await reference.leads(store.db, account, query)
        assert [r["phone"] for r in got] == [r["phone"] for r in expected]
        assert all(r["name"].startswith(account) for r in got)


async def test_leads_of_an_integration_page_by_page(store: HistoryStore) -> None:
    for integration in (MAIN, SIDE):
        whole = [
            r["phone"]
            for r in await reference.leads(
                store.db, A, LeadFilter(integration=integration, limit=500)
            )
        ]
        paged: list[str] = []
        while True:
            page = await store.leads(
                A, LeadFilter(integration=integration, limit=2, after=paged[-1] if paged else "")
            )
            paged += [r["phone"] for r in page]
            if len(page) < 2:
                break
        assert paged == whole and whole


@pytest.mark.parametrize("phone", [HEAVY, PHONES[3], MOVED_FROM, MOVED_TO, PHONES[29]])
async def test_a_lead_timeline_page_by_page(store: HistoryStore, phone: str) -> None:
    for account in (A, B):
        before = None
        pages = 0
        while True:
            got = await store.timeline(account, phone, 25, before)
            expected = await reference.timeline(store.db, account, phone, 25, before)
            assert [(e["kind"], e["key"]) for e in got] == [(e["kind"], e["key"]) for e in expected]
            assert [{k: v for k, v in e.items() if k != "key"} for e in got] == [
                {k: v for k, v in e.items() if k != "key"} for e in expected
            ]
            assert all(
                e.get("integration_id", "") != (OTHER if account == A else MAIN) for e in got
            )
            pages += 1
            if len(got) < 25:
                break
            before = got[-1]["key"]
        if phone == HEAVY and account == A:
            assert pages > 4
    moved = [e for e in await store.timeline(A, MOVED_FROM, 500) if e["kind"] == "webhook"]
    assert f"{MAIN}-0009" not in {e["request_id"] for e in moved}


async def test_outstanding_dead_letters(store: HistoryStore) -> None:
    db = store.db
    for account, integration in ((A, MAIN), (B, OTHER), (A, OTHER)):
        for limit in (3, 500):
            for oldest_first in (False, True):
                got = await store.deadletters(
                    account, integration, limit, oldest_first=oldest_first
                )
                expected = await reference.deadletters(
                    db, account, integration, limit, oldest_first=oldest_first
                )
                assert [r["request_id"] for r in got] == expected
    outstanding = {r["request_id"] for r in await store.deadletters(A, MAIN, 500)}
    assert f"{MAIN}-0001" not in outstanding  # replayed and went through
    assert {f"{MAIN}-0011", f"{MAIN}-0005"} <= outstanding  # failed again; failed after success
    named = [f"{MAIN}-0001", f"{MAIN}-0011", f"{OTHER}-0001"]
    got = await store.deadletters(A, MAIN, 10, named, oldest_first=True)
    assert [r["request_id"] for r in got] == await reference.deadletters(
        db, A, MAIN, 10, named, oldest_first=True
    )
    assert [r["request_id"] for r in got] == [f"{MAIN}-0011"]


async def test_migration_008_builds_its_indexes_once_for_rows_stored_before(
    clickhouse: ClickHouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database of 001-007 with rows, migrated again: the projection and indexes are
    added and built for the stored parts, once; the views answer as before."""
    for path in sorted(clickhouse_module.DDL_DIR.glob("*.sql"))[:7]:
        shutil.copy(path, tmp_path)
    db = clickhouse.with_database(f"{clickhouse.database}_old")
    monkeypatch.setattr(clickhouse_module, "DDL_DIR", tmp_path)
    await db.migrate()
    assert not await _built(db)
    store = await _stored(db)
    monkeypatch.undo()

    await db.migrate()
    assert await _built(db) == {
        "webhooks_by_phone",
        "leads_tags",
        "leads_field_values",
        "leads_profile_values",
    }
    builds = await _materialized(db)
    assert sorted(builds) == sorted(
        [
            "MATERIALIZE INDEX leads_field_values",
            "MATERIALIZE INDEX leads_profile_values",
            "MATERIALIZE INDEX leads_tags",
            "MATERIALIZE PROJECTION webhooks_by_phone",
        ]
    )
    await db.migrate()
    assert await _materialized(db) == builds  # not built again

    got = await store.timeline(A, HEAVY, 40)
    assert [e["key"] for e in got] == [
        e["key"] for e in await reference.timeline(db, A, HEAVY, 40, None)
    ]
    leads = await store.leads(A, LeadFilter(integration=SIDE))
    assert [r["phone"] for r in leads] == [
        r["phone"] for r in await reference.leads(db, A, LeadFilter(integration=SIDE))
    ]
    await _command(db, f"DROP DATABASE {db.database}")


async def _command(db: ClickHouse, sql: str) -> None:
    await db._call(db.client.command, sql)


async def _built(db: ClickHouse) -> set[str]:
    return {name for _, name in await db._call(db._indexes_and_projections)}


async def _materialized(db: ClickHouse) -> list[str]:
    rows = await db.query(
        "SELECT command FROM system.mutations WHERE database = {database:String}"
        " AND command LIKE '%MATERIALIZE%'",
        {"database": db.database},
    )
    return [r["command"].strip("()") for r in rows]
