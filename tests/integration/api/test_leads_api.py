"""Leads through the API, against the real broker (config) and ClickHouse (leads and
history written as the sink writes them): the list with its filters and cursor pages,
typed fields, a lead's timeline, any spelling of a phone, tenant by tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from schemas.history import CommandResult, MessageSent, WebhookHistory
from schemas.leads import LeadState
from tests.integration.api.test_api import Api, open_api

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

MARCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANA, BIA, CAIO, DORA = "+5511999990001", "+5511999990002", "+5511999990003", "+5521999990004"


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def _write(clickhouse: ClickHouse, *records: Any) -> None:
    store = HistoryStore(clickhouse)
    for record in records:
        table, row = rows_for(record)
        await store.write(table, [row])


def _lead(account_id: str, phone: str, days: int, **values: Any) -> LeadState:
    return LeadState(
        account_id=account_id, phone=phone, updated_at=MARCH + timedelta(days=days), **values
    )


def _webhook(account_id: str, integration_id: str, request_id: str, **values: Any):
    values.setdefault("received_at", MARCH)
    values.setdefault("status", "matched")
    return WebhookHistory(
        request_id=request_id, account_id=account_id, integration_id=integration_id, **values
    )


def _id(entry: dict[str, Any]) -> str:
    return entry["request_id"] if entry["kind"] == "webhook" else entry["command_id"]


async def _leads(api: Api, key: str, **query: Any) -> tuple[list[str], Any]:
    status, body = await api.call("GET", "/api/leads", key=key, **query)
    assert status == 200, body
    return [lead["phone"] for lead in body["items"]], body


async def _setup(api: Api, clickhouse: ClickHouse) -> dict[str, Any]:
    account_id, key = await api.account()
    hotmart = (await api.integration(key, "Hotmart"))["id"]
    kiwify = (await api.integration(key, "Kiwify"))["id"]
    for name, field_type in (("ativo", "boolean"), ("valor", "number"), ("produto", "text")):
        status, _ = await api.call(
            "POST", "/api/custom-fields", {"name": name, "type": field_type}, key=key
        )
        assert status == 201
    other_id, other_key = await api.account(name="Outra loja")
    await _write(
        clickhouse,
        _lead(
            account_id,
            ANA,
            0,
            name="Ana",
            tags=["vip"],
            fields={"ativo": "true", "valor": "1234.5", "produto": "Curso"},
            profile={"email": "ana@loja.com", "document": "69526128664"},
        ),
        _lead(account_id, BIA, 4, name="Bia", tags=["vip", "buyer"], fields={"ativo": "false"}),
        _lead(account_id, CAIO, 9, name="Caio"),
        _lead(account_id, DORA, 1, name="Dora", tags=["vip"]),
        # Another tenant's lead on one of the same phones.
        _lead(other_id, ANA, 0, name="Ana de outra loja", tags=["vip"]),
        _webhook(account_id, hotmart, "h-ana", phone=ANA),
        _webhook(account_id, hotmart, "h-caio", phone=CAIO, status="unmatched"),
        _webhook(account_id, kiwify, "k-bia", phone=BIA),
        # A webhook that failed is no lead of its integration.
        _webhook(account_id, hotmart, "h-dora", phone=DORA, status="error"),
    )
    return {
        "key": key,
        "hotmart": hotmart,
        "kiwify": kiwify,
        "other_key": other_key,
        "account_id": account_id,
    }


async def test_the_list_pages_by_phone_with_typed_fields(api: Api, clickhouse: ClickHouse) -> None:
    setup = await _setup(api, clickhouse)
    key = setup["key"]
    phones, body = await _leads(api, key)
    assert phones == [ANA, BIA, CAIO, DORA] and body["next_cursor"] is None
    assert body["items"][0] == {
        "phone": ANA,
        "name": "Ana",
        "tags": ["vip"],
        "fields": {"ativo": True, "valor": 1234.5, "produto": "Curso"},
        "profile": {"email": "ana@loja.com", "document": "69526128664"},
        "updated_at": "2026-03-01T12:00:00Z",
    }

    seen = []
    cursor = None
    for _ in range(3):
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        phones, body = await _leads(api, key, **query)
        seen.append(phones)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [[ANA, BIA], [CAIO, DORA]]
    _, first = await _leads(api, key, limit=1)
    # A cursor belongs to its query: other filters, or a made-up one, are refused.
    for query in (
        {"cursor": first["next_cursor"], "tag": "vip"},
        {"cursor": "bm90IGEgY3Vyc29y"},
        {"cursor": "***"},
    ):
        status, body = await api.call("GET", "/api/leads", key=key, **query)
        assert status == 422 and body["details"][0]["loc"] == "cursor", body
    # The same filters with another page size keep the cursor valid.
    phones, _ = await _leads(api, key, limit=50, cursor=first["next_cursor"])
    assert phones == [BIA, CAIO, DORA]

    # The other tenant sees its own lead only, with its own name.
    phones, body = await _leads(api, setup["other_key"])
    assert phones == [ANA] and body["items"][0]["name"] == "Ana de outra loja"


async def test_filters(api: Api, clickhouse: ClickHouse) -> None:
    setup = await _setup(api, clickhouse)
    key = setup["key"]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"tag": "vip"}, [ANA, BIA, DORA]),
        ({"tag": "buyer"}, [BIA]),
        ({"field": "ativo=sim"}, [ANA]),  # read as the field's type: a boolean
        ({"field": "ativo=não"}, [BIA]),
        ({"field": "valor=R$ 1.234,50"}, [ANA]),
        ({"field": "produto=Curso"}, [ANA]),
        ({"field": "email=ANA@loja.com"}, [ANA]),  # a standard field, normalised
        ({"field": "document=695.261.286-64"}, [ANA]),
        ({"integration": setup["hotmart"]}, [ANA, CAIO]),
        ({"integration": setup["kiwify"]}, [BIA]),
        ({"updated_from": "2026-03-02", "updated_to": "2026-03-06"}, [BIA, DORA]),
        ({"updated_from": "2026-03-05T12:00:00Z"}, [BIA, CAIO]),
        ({"updated_to": "2026-03-01T12:00:00.001Z"}, [ANA]),
        ({"tag": "vip", "updated_from": "2026-03-02"}, [BIA, DORA]),
        ({"tag": "vip", "integration": setup["hotmart"]}, [ANA]),
        ({"tag": "nobody"}, []),
    ]
    for query, expected in cases:
        phones, _ = await _leads(api, key, **query)
        assert phones == expected, query

    refused = [
        ({"field": "cor=azul"}, "field", "unknown field 'cor' (this account has: ativo,"),
        ({"field": "valor=muito"}, "field", "'muito' for 'valor': not a number"),
        ({"field": "email=ana"}, "field", "not an e-mail address"),
        ({"field": "ativo"}, "field", "String should match pattern"),
        ({"integration": "int_0123456789abcdef"}, "integration", "unknown integration"),
        ({"updated_from": "ontem"}, "updated_from", "valid datetime"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
    ]
    for query, loc, message in refused:
        status, body = await api.call("GET", "/api/leads", key=key, **query)
        assert status == 422 and body["details"][0]["loc"] == loc, (query, body)
        assert message in body["details"][0]["message"], (query, body)

    # Another tenant's integration is unknown here.
    status, body = await api.call(
        "GET", "/api/leads", key=setup["other_key"], integration=setup["hotmart"]
    )
    assert status == 422 and "unknown integration" in body["error"]


@pytest.mark.parametrize(
    "spelled", ["+55 11 99999-0001", "5511999990001", "(11) 99999-0001", "11999990001"]
)
async def test_any_spelling_of_a_phone_finds_the_lead(
    api: Api, clickhouse: ClickHouse, spelled: str
) -> None:
    setup = await _setup(api, clickhouse)
    for suffix in ("", "/messages", "/timeline"):
        status, body = await api.call(
            "GET", f"/api/leads/{quote(spelled)}{suffix}", key=setup["key"]
        )
        assert status == 200, (suffix, body)
    status, body = await api.call("GET", f"/api/leads/{quote(spelled)}", key=setup["key"])
    assert body["phone"] == ANA and body["name"] == "Ana"


async def test_the_timeline_in_time_order_and_by_pages(api: Api, clickhouse: ClickHouse) -> None:
    setup = await _setup(api, clickhouse)
    key, account_id, hotmart = setup["key"], setup["account_id"], setup["hotmart"]
    second = MARCH + timedelta(seconds=1)

    def command(command_id: str, request_id: str, type_: str, status: str, at: datetime):
        return CommandResult(
            command_id=command_id,
            account_id=account_id,
            integration_id=hotmart,
            request_id=request_id,
            phone=ANA,
            type=type_,
            status=status,
            detail="",
            applied_at=at,
        )

    await _write(
        clickhouse,
        _webhook(
            account_id,
            hotmart,
            "h-ana-2",
            phone=ANA,
            received_at=MARCH + timedelta(minutes=5),
            status="duplicate",
        ),
        command("c-tag", "h-ana", "add_tag", "applied", second),
        command("c-msg", "h-ana", "send_message", "applied", second),
        command("c-msg", "h-ana", "send_message", "duplicate", MARCH + timedelta(minutes=5)),
        MessageSent(
            command_id="c-msg",
            account_id=account_id,
            phone=ANA,
            channel="recording",
            message_type="text",
            content="Oi Ana",
            sent_at=second,
        ),
        # Another tenant's history of the same phone.
        _webhook("acc_0000000000000000", hotmart, "theirs", phone=ANA),
    )
    path = f"/api/leads/{quote('(11) 99999-0001')}/timeline"
    status, body = await api.call("GET", path, key=key)
    assert status == 200 and body["phone"] == ANA and body["next_cursor"] is None
    assert [(i["kind"], i["at"], _id(i)) for i in body["items"]] == [
        ("webhook", "2026-03-01T12:00:00Z", "h-ana"),
        ("command", "2026-03-01T12:00:01Z", "c-msg"),
        ("command", "2026-03-01T12:00:01Z", "c-tag"),
        ("message", "2026-03-01T12:00:01Z", "c-msg"),
        ("webhook", "2026-03-01T12:05:00Z", "h-ana-2"),
    ]
    webhook, message = body["items"][0], body["items"][3]
    assert webhook == {
        "kind": "webhook",
        "at": "2026-03-01T12:00:00Z",
        "request_id": "h-ana",
        "integration_id": hotmart,
        "status": "matched",
        "event": None,
        "matched_event_ids": [],
        "action_types": [],
        "errors": [],
    }
    assert message["content"] == "Oi Ana" and message["channel"] == "recording"

    pages = []
    cursor = None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        status, page = await api.call("GET", path, key=key, **query)
        assert status == 200, page
        pages.append([(i["kind"], _id(i)) for i in page["items"]])
        if (cursor := page["next_cursor"]) is None:
            break
    # Newest page first, each page oldest first: together the whole timeline.
    assert pages == [
        [("message", "c-msg"), ("webhook", "h-ana-2")],
        [("command", "c-msg"), ("command", "c-tag")],
        [("webhook", "h-ana")],
    ]
    status, body = await api.call("GET", path, key=key, cursor=cursor or "x")
    assert status == 422
    # A cursor of another lead's timeline is refused.
    _, bia = await api.call("GET", f"/api/leads/{quote(BIA)}/timeline", key=key, limit=1)
    assert bia["next_cursor"] is None
    _, first = await api.call("GET", path, key=key, limit=1)
    status, body = await api.call(
        "GET", f"/api/leads/{quote(BIA)}/timeline", key=key, cursor=first["next_cursor"]
    )
    assert status == 422 and "another query" in body["error"]

    # A phone whose webhooks matched nothing has no lead, but its timeline says why.
    await _write(
        clickhouse,
        _webhook(account_id, hotmart, "h-eva", phone="+5511999990005", status="unmatched"),
    )
    status, _ = await api.call("GET", "/api/leads/5511999990005", key=key)
    assert status == 404
    status, body = await api.call("GET", "/api/leads/5511999990005/timeline", key=key)
    assert status == 200 and [i["status"] for i in body["items"]] == ["unmatched"]
    # Nothing at all, or only another tenant's: unknown.
    for other_key, phone in ((key, "5511999990009"), (setup["other_key"], "5511999990005")):
        status, body = await api.call("GET", f"/api/leads/{phone}/timeline", key=other_key)
        assert (status, body["error"]) == (404, "lead not found")
    # The other tenant's timeline of the shared phone holds only its own webhook.
    status, body = await api.call(
        "GET", f"/api/leads/{quote(ANA)}/timeline", key=setup["other_key"]
    )
    assert status == 200 and [i.get("request_id") for i in body["items"]] == []
