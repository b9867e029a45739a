"""The management API against the real broker (config topic) and real ClickHouse.

All tests share one broker and one config topic: each creates its own accounts
and never assumes the topic is empty."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from core.settings import Settings
from hookline.api import add_api_routes
from hookline.api.openapi import build_document
from hookline.api.routes import ROUTES
from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from hookline.runtime import RUNTIME, Runtime, runtime_context
from schemas.deadletter import DeadLetter
from schemas.envelope import WebhookEnvelope
from schemas.history import MessageSent, WebhookHistory
from schemas.leads import LeadState

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

ADMIN_TOKEN = "admin-secret"
PHONE = "+5511988887777"


class Api:
    """A test client that answers (status, parsed JSON or None)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        raw: str | None = None,
        **params: Any,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        async with self.client.request(
            method, path, data=data, headers=headers, params=params or None
        ) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def account(self, plan: str = "elite", name: str = "Loja") -> tuple[str, str]:
        """A fresh account: (id, api key)."""
        status, body = await self.call(
            "POST", "/api/accounts", {"name": name, "plan": plan}, key=ADMIN_TOKEN
        )
        assert status == 201, body
        return body["id"], body["api_key"]

    async def integration(self, key: str, name: str = "Hotmart") -> dict[str, Any]:
        status, body = await self.call("POST", "/api/integrations", {"name": name}, key=key)
        assert status == 201, body
        return body

    async def event(self, key: str, integration_id: str, identification: str = "APPROVED") -> str:
        status, body = await self.call(
            "POST",
            f"/api/integrations/{integration_id}/events",
            {"name": "Compra", "identification": identification},
            key=key,
        )
        assert status == 201, body
        return body["id"]

    async def action(
        self, key: str, integration_id: str, event_id: str, action: dict[str, Any]
    ) -> tuple[int, Any]:
        path = f"/api/integrations/{integration_id}/events/{event_id}/actions"
        return await self.call("POST", path, action, key=key)


@asynccontextmanager
async def open_api(
    bootstrap: str, clickhouse: ClickHouse | None, **settings: Any
) -> AsyncIterator[Api]:
    settings = {
        "admin_token": ADMIN_TOKEN,
        "public_url": "http://test",
        "embedded_broker": True,  # the tests' broker is the embedded one
    } | settings
    app = web.Application()
    runtime = Runtime.create(
        Settings(bootstrap_servers=bootstrap, **settings), clickhouse=clickhouse
    )
    app[RUNTIME] = runtime
    app.cleanup_ctx.append(runtime_context(runtime))
    add_api_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield Api(client)


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


# -- accounts and auth ---------------------------------------------------------
async def test_account_creation_needs_the_admin_token(api: Api) -> None:
    new = {"name": "Loja", "plan": "pro"}
    status, body = await api.call("POST", "/api/accounts", new)
    assert status == 401 and body["ok"] is False and "admin token" in body["error"]
    status, body = await api.call("POST", "/api/accounts", new, key="wrong")
    assert status == 401

    status, body = await api.call("POST", "/api/accounts", new, key=ADMIN_TOKEN)
    assert status == 201 and body["api_key"].startswith("hk_") and body["plan"] == "pro"
    account_id, api_key = body["id"], body["api_key"]
    stored = api.runtime.view.state.account(account_id)
    assert stored is not None and api_key not in stored.model_dump_json()

    status, body = await api.call("GET", "/api/account", key=api_key)
    assert (status, body) == (200, {"id": account_id, "name": "Loja", "plan": "pro"})
    status, body = await api.call("GET", "/api/account", key="hk_unknown")
    assert status == 401 and body["error"] == "invalid API key"
    status, body = await api.call("GET", "/api/account")
    assert status == 401 and "missing API key" in body["error"]
    # An API key is not an admin token.
    status, _ = await api.call("POST", "/api/accounts", new, key=api_key)
    assert status == 401


async def test_account_input_errors_and_plan_change(api: Api) -> None:
    status, body = await api.call(
        "POST", "/api/accounts", {"name": "X", "plan": "gold"}, key=ADMIN_TOKEN
    )
    assert status == 422 and body["details"][0]["loc"] == "plan"
    assert "'basic', 'pro', 'business' or 'elite'" in body["error"]
    status, body = await api.call("POST", "/api/accounts", raw="{not json", key=ADMIN_TOKEN)
    assert status == 400 and "not valid JSON" in body["error"]
    status, body = await api.call("POST", "/api/accounts", ["Loja", "pro"], key=ADMIN_TOKEN)
    assert (status, body["error"]) == (422, "request body must be a JSON object")
    status, body = await api.call(
        "POST", "/api/accounts", {"name": "x" * 2_000_000, "plan": "pro"}, key=ADMIN_TOKEN
    )
    assert status == 413 and "larger than" in body["error"]

    account_id, key = await api.account(plan="basic")
    status, body = await api.call(
        "PATCH", f"/api/accounts/{account_id}", {"plan": "business"}, key=ADMIN_TOKEN
    )
    assert (status, body["plan"], body["name"]) == (200, "business", "Loja")
    assert (await api.call("GET", "/api/account", key=key))[1]["plan"] == "business"
    status, body = await api.call(
        "PATCH", f"/api/accounts/{account_id}", {"name": None}, key=ADMIN_TOKEN
    )
    assert status == 422 and "name cannot be null" in body["error"]
    status, _ = await api.call("PATCH", f"/api/accounts/{account_id}", {"plan": "pro"}, key=key)
    assert status == 401
    status, _ = await api.call("PATCH", "/api/accounts/acc_0000", {"plan": "pro"}, key=ADMIN_TOKEN)
    assert status == 404


async def test_without_admin_token_account_creation_is_unavailable(bootstrap: str) -> None:
    async with open_api(bootstrap, None, admin_token=None) as api:
        status, body = await api.call(
            "POST", "/api/accounts", {"name": "X", "plan": "pro"}, key="anything"
        )
        assert status == 503
        assert body["error"] == "admin token not configured (HOOKLINE_ADMIN_TOKEN)"


# -- integrations --------------------------------------------------------------
async def test_basic_plan_cannot_create_integrations(api: Api) -> None:
    _, key = await api.account(plan="basic")
    status, body = await api.call("POST", "/api/integrations", {"name": "Kiwify"}, key=key)
    assert status == 403
    assert body["error"] == "webhooks need the Business or Elite plan; this account is on basic"


async def test_integration_crud_never_returns_the_secret(api: Api) -> None:
    _, key = await api.account()
    created = await api.integration(key)
    integration_id, token = created["id"], created["token"]
    assert created["url"] == f"http://test/hooks/{token}" and len(token) >= 32
    assert created["platform"] == "generic" and created["enabled"] is True
    state = api.runtime.view.state
    assert state.integration_by_token(token).id == integration_id
    stored_hash = state.integration(integration_id).tokens[0].hash

    secret = "whsec_very-secret-value"
    status, body = await api.call(
        "PATCH",
        f"/api/integrations/{integration_id}",
        {"secret": secret, "enabled": False, "platform": "hotmart"},
        key=key,
    )
    assert status == 200 and body["has_secret"] is True and body["enabled"] is False
    assert state.integration(integration_id).secret == secret
    for path in (f"/api/integrations/{integration_id}", "/api/integrations"):
        status, body = await api.call("GET", path, key=key)
        text = json.dumps(body)
        assert status == 200 and secret not in text and stored_hash not in text
        assert "tokens" not in text and "secret" not in text.replace("has_secret", "")
    status, body = await api.call("GET", "/api/integrations", key=key)
    assert [i["id"] for i in body["items"]] == [integration_id]
    assert body["items"][0]["platform"] == "hotmart"

    status, body = await api.call(
        "PATCH", f"/api/integrations/{integration_id}", {"secret": None}, key=key
    )
    assert body["has_secret"] is False and state.integration(integration_id).secret is None
    status, body = await api.call(
        "PATCH", f"/api/integrations/{integration_id}", {"token": "mine"}, key=key
    )
    assert status == 422 and body["details"] == [
        {"loc": "token", "message": "Extra inputs are not permitted"}
    ]

    # Delete takes the mapping, events and actions with it.
    mapping = {"event": "event", "name": "buyer.name", "phone": "buyer.phone"}
    status, _ = await api.call(
        "PUT", f"/api/integrations/{integration_id}/mapping", mapping, key=key
    )
    assert status == 200
    event_id = await api.event(key, integration_id)
    status, action = await api.action(
        key, integration_id, event_id, {"type": "add_tag", "tag": "buyer"}
    )
    assert status == 201
    status, body = await api.call("DELETE", f"/api/integrations/{integration_id}", key=key)
    assert (status, body) == (204, None)
    for kind, record_id in [
        ("integration", integration_id),
        ("mapping", integration_id),
        ("conversion_event", event_id),
        ("action", action["id"]),
    ]:
        assert state.get(kind, record_id) is None
    assert state.integration_by_token(token) is None
    status, body = await api.call("GET", f"/api/integrations/{integration_id}", key=key)
    assert status == 404 and body == {"ok": False, "error": "integration not found"}


async def test_token_rotation_keeps_the_old_url_for_the_grace_period(api: Api) -> None:
    _, key = await api.account(plan="business")
    created = await api.integration(key)
    integration_id, first = created["id"], created["token"]
    state = api.runtime.view.state

    status, body = await api.call(
        "POST", f"/api/integrations/{integration_id}/rotate-token", {"grace_seconds": 3600}, key=key
    )
    assert status == 200 and body["token"] != first
    second = body["token"]
    assert body["url"] == f"http://test/hooks/{second}"
    until = datetime.fromisoformat(body["old_token_valid_until"])
    assert timedelta(minutes=59) < until - datetime.now(UTC) <= timedelta(hours=1)
    assert state.integration_by_token(first).id == integration_id
    assert state.integration_by_token(second).id == integration_id
    assert state.integration_by_token(first, now=until + timedelta(seconds=1)) is None

    # No body: the default grace (a day). Then grace 0 retires the current URL at once.
    status, body = await api.call(
        "POST", f"/api/integrations/{integration_id}/rotate-token", key=key
    )
    assert status == 200 and state.integration_by_token(second) is not None
    third = body["token"]
    status, body = await api.call(
        "POST", f"/api/integrations/{integration_id}/rotate-token", {"grace_seconds": 0}, key=key
    )
    assert status == 200 and state.integration_by_token(third) is None
    assert state.integration_by_token(body["token"]).id == integration_id
    status, body = await api.call(
        "POST", f"/api/integrations/{integration_id}/rotate-token", {"grace_seconds": -1}, key=key
    )
    assert status == 422 and body["details"][0]["loc"] == "grace_seconds"


async def test_mapping_is_validated_and_stored(api: Api) -> None:
    _, key = await api.account()
    integration_id = (await api.integration(key))["id"]
    path = f"/api/integrations/{integration_id}/mapping"
    status, body = await api.call("GET", path, key=key)
    assert status == 404 and body["error"] == "mapping not found"

    status, body = await api.call(
        "PUT",
        path,
        {"event": "status", "name": "buyer.name", "phone": "buyer.phone[", "fields": {}},
        key=key,
    )
    assert status == 422
    assert "invalid jmespath expression 'buyer.phone['" in body["error"]
    assert body["details"][0]["loc"] == "phone"
    status, body = await api.call("PUT", path, {"event": "status", "name": "n"}, key=key)
    assert status == 422 and body["details"] == [{"loc": "phone", "message": "Field required"}]

    mapping = {
        "event": {"header": "X-Event"},
        "name": "buyer.name",
        "phone": "buyer.phone",
        "fields": {"product": "product.name"},
        "default_region": "br",
    }
    status, body = await api.call("PUT", path, mapping, key=key)
    assert status == 200 and body == mapping | {"default_region": "BR", "warnings": []}
    assert api.runtime.view.state.mapping(integration_id).fields == {"product": "product.name"}
    assert (await api.call("GET", path, key=key)) == (200, mapping | {"default_region": "BR"})


# -- custom fields, events and actions -----------------------------------------
async def test_custom_fields(api: Api) -> None:
    _, key = await api.account()
    status, field = await api.call(
        "POST", "/api/custom-fields", {"name": "product", "description": "what was bought"}, key=key
    )
    assert status == 201 and field["name"] == "product" and field["id"].startswith("fld_")
    status, body = await api.call("POST", "/api/custom-fields", {"name": "product"}, key=key)
    assert status == 409 and "'product' already exists" in body["error"]
    status, body = await api.call("POST", "/api/custom-fields", {"name": "my field"}, key=key)
    assert status == 422 and "letters, digits" in body["error"]
    status, body = await api.call("GET", "/api/custom-fields", key=key)
    assert [f["id"] for f in body["items"]] == [field["id"]]

    # A field an action writes cannot go away under it.
    integration_id = (await api.integration(key))["id"]
    event_id = await api.event(key, integration_id)
    status, action = await api.action(
        key,
        integration_id,
        event_id,
        {"type": "update_field", "field": "product", "value": "{{fields.product}}"},
    )
    assert status == 201
    status, body = await api.call("DELETE", f"/api/custom-fields/{field['id']}", key=key)
    assert status == 409 and action["id"] in body["error"]
    await api.call(
        "DELETE",
        f"/api/integrations/{integration_id}/events/{event_id}/actions/{action['id']}",
        key=key,
    )
    assert (await api.call("DELETE", f"/api/custom-fields/{field['id']}", key=key))[0] == 204
    assert (await api.call("GET", "/api/custom-fields", key=key))[1] == {"items": []}


async def test_events_and_actions(api: Api) -> None:
    _, key = await api.account()
    integration_id = (await api.integration(key))["id"]
    event_id = await api.event(key, integration_id, "PURCHASE_CANCELED")
    actions = f"/api/integrations/{integration_id}/events/{event_id}/actions"

    status, tag = await api.call("POST", actions, {"type": "add_tag", "tag": " cancelou "}, key=key)
    assert status == 201 and tag["tag"] == "cancelou" and tag["type"] == "add_tag"
    status, body = await api.call(
        "POST",
        actions,
        {"type": "update_field", "field": "product", "value": "{{fields.product}}"},
        key=key,
    )
    assert status == 422 and "unknown custom field 'product'" in body["error"]
    assert body["details"][0]["loc"] == "field"
    await api.call("POST", "/api/custom-fields", {"name": "product"}, key=key)
    status, update = await api.call(
        "POST",
        actions,
        {"type": "update_field", "field": "product", "value": "{{fields.product}}"},
        key=key,
    )
    assert status == 201 and update["value"] == "{{fields.product}}"

    status, body = await api.call("POST", actions, {"type": "send_sms", "text": "x"}, key=key)
    assert status == 422 and "type must be one of: add_tag, remove_tag" in body["error"]
    status, body = await api.call("POST", actions, {"type": "add_tag"}, key=key)
    assert status == 422 and body["details"] == [
        {"loc": "add_tag.tag", "message": "Field required"}
    ]
    status, send = await api.call(
        "POST", actions, {"type": "send_message", "text": "Oi {{name}}"}, key=key
    )
    assert status == 201
    _, flow = await api.call("POST", "/api/chatbot-flows", {"name": "Bot", "flow": "f1"}, key=key)
    status, body = await api.call(
        "POST", actions, {"type": "send_chatbot", "chatbot_id": flow["id"]}, key=key
    )
    assert status == 409
    assert body["error"] == (
        f"this event already has a send action (send_message {send['id']}); delete it first"
    )

    status, body = await api.call("GET", f"/api/integrations/{integration_id}/events", key=key)
    assert status == 200 and len(body["items"]) == 1
    listed = body["items"][0]
    assert listed["identification"] == "PURCHASE_CANCELED"
    assert [a["id"] for a in listed["actions"]] == [tag["id"], update["id"], send["id"]]

    status, _ = await api.call("DELETE", f"{actions}/{send['id']}", key=key)
    assert status == 204
    _, reply = await api.call("POST", "/api/quick-replies", {"name": "Q", "text": "Oi"}, key=key)
    status, quick = await api.call(
        "POST", actions, {"type": "send_quick_reply", "quick_reply_id": reply["id"]}, key=key
    )
    assert status == 201
    assert (await api.call("DELETE", f"{actions}/{send['id']}", key=key))[0] == 404

    status, _ = await api.call(
        "DELETE", f"/api/integrations/{integration_id}/events/{event_id}", key=key
    )
    assert status == 204
    state = api.runtime.view.state
    assert state.events_of(integration_id) == [] and state.actions_of(event_id) == []
    assert state.get("action", quick["id"]) is None


# -- tenant isolation ----------------------------------------------------------
async def test_tenants_never_see_each_other(api: Api, clickhouse: ClickHouse) -> None:
    account_a, key_a = await api.account(name="A")
    _, key_b = await api.account(name="B")
    integration_a = (await api.integration(key_a))["id"]
    event_a = await api.event(key_a, integration_a)
    status, action_a = await api.action(
        key_a, integration_a, event_a, {"type": "add_tag", "tag": "a"}
    )
    assert status == 201
    status, field_a = await api.call(
        "POST", "/api/custom-fields", {"name": "shared_name"}, key=key_a
    )
    assert status == 201
    store = HistoryStore(clickhouse)
    await _lead(store, account_a, PHONE)
    await _webhook(store, account_a, integration_a, "r-a")

    base = f"/api/integrations/{integration_a}"
    denied = [
        ("GET", base, None),
        ("PATCH", base, {"name": "mine"}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-token", {}),
        ("GET", f"{base}/mapping", None),
        ("PUT", f"{base}/mapping", {"event": "e", "name": "n", "phone": "p"}),
        ("GET", f"{base}/events", None),
        ("POST", f"{base}/events", {"name": "x", "identification": "y"}),
        ("DELETE", f"{base}/events/{event_a}", None),
        ("POST", f"{base}/events/{event_a}/actions", {"type": "add_tag", "tag": "b"}),
        ("DELETE", f"{base}/events/{event_a}/actions/{action_a['id']}", None),
        ("DELETE", f"/api/custom-fields/{field_a['id']}", None),
        ("GET", f"/api/leads/{PHONE}", None),
        ("GET", f"/api/leads/{PHONE}/messages", None),
        ("GET", f"{base}/history", None),
        ("GET", f"{base}/deadletters", None),
    ]
    for method, path, body in denied:
        status, answer = await api.call(method, path, body, key=key_b)
        assert status == 404, (method, path, answer)
        assert answer["ok"] is False and integration_a not in answer["error"]

    # B's own integration does not open A's events either.
    integration_b = (await api.integration(key_b))["id"]
    status, _ = await api.call(
        "DELETE", f"/api/integrations/{integration_b}/events/{event_a}", key=key_b
    )
    assert status == 404
    assert (await api.call("GET", "/api/integrations", key=key_b))[1]["items"][0][
        "id"
    ] == integration_b
    assert (await api.call("GET", "/api/custom-fields", key=key_b))[1] == {"items": []}
    # B may use a field name A already has.
    assert (await api.call("POST", "/api/custom-fields", {"name": "shared_name"}, key=key_b))[
        0
    ] == 201
    # A's things are untouched.
    state = api.runtime.view.state
    assert state.integration(integration_a).name == "Hotmart"
    assert [a.id for a in state.actions_of(event_a)] == [action_a["id"]]
    assert (await api.call("GET", f"/api/leads/{PHONE}", key=key_a))[0] == 200


# -- history (ClickHouse) ------------------------------------------------------
async def _lead(store: HistoryStore, account_id: str, phone: str) -> None:
    lead = LeadState(
        account_id=account_id,
        phone=phone,
        name="Ana",
        tags=["vip", "buyer"],
        fields={"product": "Curso"},
        version=2,
        updated_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    await store.write(*_rows(lead))


async def _webhook(
    store: HistoryStore,
    account_id: str,
    integration_id: str,
    request_id: str,
    received_at: datetime | None = None,
    **values: Any,
) -> None:
    record = WebhookHistory(
        request_id=request_id,
        account_id=account_id,
        integration_id=integration_id,
        status=values.pop("status", "matched"),
        received_at=received_at or datetime.now(UTC),
        **values,
    )
    await store.write(*_rows(record))


def _rows(record: Any) -> tuple[str, list[list[Any]]]:
    table, row = rows_for(record)
    return table, [row]


async def test_leads_and_messages_come_from_clickhouse(api: Api, clickhouse: ClickHouse) -> None:
    account_id, key = await api.account()
    store = HistoryStore(clickhouse)
    await _lead(store, account_id, PHONE)
    for i, content in enumerate(["Oi Ana", "Obrigado"]):
        message = MessageSent(
            command_id=f"c{i}",
            account_id=account_id,
            phone=PHONE,
            channel="recording",
            message_type="text",
            content=content,
            sent_at=datetime(2026, 3, 4, 5, 6, i, tzinfo=UTC),
        )
        await store.write(*_rows(message))

    expected = {
        "phone": PHONE,
        "name": "Ana",
        "tags": ["vip", "buyer"],
        "fields": {"product": "Curso"},
        "profile": {},
        "updated_at": "2026-03-04T05:06:07Z",
    }
    for spelled in ("%2B5511988887777", "5511988887777", "(11)%2098888-7777"):
        assert await api.call("GET", f"/api/leads/{spelled}", key=key) == (200, expected)
    status, body = await api.call(
        "GET", f"/api/leads/{PHONE.replace('+', '%2B')}/messages", key=key
    )
    assert status == 200
    assert [(m["content"], m["sent_at"]) for m in body["messages"]] == [
        ("Oi Ana", "2026-03-04T05:06:00Z"),
        ("Obrigado", "2026-03-04T05:06:01Z"),
    ]
    for path in ("/api/leads/5511000000000", "/api/leads/5511000000000/messages"):
        status, body = await api.call("GET", path, key=key)
        assert status == 404 and body["error"] == "lead not found"
    status, body = await api.call("GET", "/api/leads/abc", key=key)
    assert status == 422 and "is not a phone number (has letters" in body["error"]


async def test_webhook_history_and_deadletters(api: Api, clickhouse: ClickHouse) -> None:
    account_id, key = await api.account()
    integration_id = (await api.integration(key))["id"]
    other_id = (await api.integration(key, name="Other"))["id"]
    store = HistoryStore(clickhouse)
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for i in range(3):
        await _webhook(
            store,
            account_id,
            integration_id,
            f"r{i}",
            start + timedelta(minutes=i),
            event="APPROVED",
            name="Ana",
            phone=PHONE,
            fields={"product": "Curso"},
            matched_event_ids=["evt_1"],
            action_types=["add_tag"],
            body_text="{}",
        )
    await _webhook(
        store,
        account_id,
        integration_id,
        "bad",
        start - timedelta(minutes=1),
        status="error",
        errors=["phone: missing"],
    )
    await _webhook(store, account_id, other_id, "elsewhere")
    envelope = WebhookEnvelope(
        request_id="bad",
        integration_id=integration_id,
        account_id=account_id,
        received_at=start,
        body=b"{}",
    )
    await store.write(
        *_rows(
            DeadLetter(
                envelope=envelope,
                reason="unmappable",
                errors=["phone: missing"],
                source_topic="hookline.webhooks",
                source_partition=0,
                source_offset=7,
                failed_at=start,
            )
        )
    )

    path = f"/api/integrations/{integration_id}/history"
    status, body = await api.call("GET", path, key=key)
    assert status == 200 and [i["request_id"] for i in body["items"]] == ["r2", "r1", "r0", "bad"]
    newest = body["items"][0]
    assert newest["received_at"] == "2026-05-01T12:02:00Z"
    assert {
        k: newest[k]
        for k in (
            "status",
            "event",
            "name",
            "phone",
            "matched_event_ids",
            "action_types",
            "errors",
            "fields",
            "delivery_id",
        )
    } == {
        "status": "matched",
        "event": "APPROVED",
        "name": "Ana",
        "phone": PHONE,
        "matched_event_ids": ["evt_1"],
        "action_types": ["add_tag"],
        "errors": [],
        "fields": {"product": "Curso"},
        "delivery_id": None,
    }
    assert "body_text" not in newest
    assert body["items"][-1]["errors"] == ["phone: missing"]
    status, body = await api.call("GET", path, key=key, limit=2)
    assert [i["request_id"] for i in body["items"]] == ["r2", "r1"]
    for bad in ("0", "501", "many"):
        status, body = await api.call("GET", path, key=key, limit=bad)
        assert status == 422 and body["details"][0]["loc"] == "limit", body
    status, body = await api.call("GET", path, key=key, limt="2")
    assert status == 422

    status, body = await api.call("GET", f"/api/integrations/{integration_id}/deadletters", key=key)
    assert (status, body) == (
        200,
        {
            "items": [
                {
                    "request_id": "bad",
                    "reason": "unmappable",
                    "errors": ["phone: missing"],
                    "failed_at": "2026-05-01T12:00:00Z",
                }
            ]
        },
    )


async def test_replay_by_request_id_finds_older_dead_letters(
    api: Api, clickhouse: ClickHouse
) -> None:
    """Named dead letters are replayed however many newer ones there are; unknown
    ids and other integrations' dead letters are not."""
    account_id, key = await api.account()
    integration_id = (await api.integration(key))["id"]
    other_id = (await api.integration(key, name="Other"))["id"]
    store = HistoryStore(clickhouse)
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    owned = [(integration_id, "old"), (integration_id, "new-1"), (integration_id, "new-2")]
    for i, (owner, request_id) in enumerate([*owned, (other_id, "theirs")]):
        envelope = WebhookEnvelope(
            request_id=request_id,
            integration_id=owner,
            account_id=account_id,
            received_at=start,
            body=b"{}",
        )
        dead = DeadLetter(
            envelope=envelope,
            reason="unmappable",
            errors=[],
            source_topic="hookline.webhooks",
            source_partition=0,
            source_offset=i,
            failed_at=start + timedelta(minutes=i),
        )
        await store.write(*_rows(dead))

    path = f"/api/integrations/{integration_id}/deadletters/replay"
    status, body = await api.call("POST", path, key=key, body={"request_ids": ["old", "unknown"]})
    assert (status, body) == (200, {"replayed": 1, "request_ids": ["old"]})
    status, body = await api.call("POST", path, key=key, body={"request_ids": ["theirs"]})
    assert (status, body) == (200, {"replayed": 0, "request_ids": []})
    # A limit takes the oldest outstanding ones, in the order they were received (here at
    # one instant: then in the order the worker read them), so replays go forward in time.
    status, body = await api.call("POST", path, key=key, body={"limit": 2})
    assert (status, body["request_ids"]) == (200, ["old", "new-1"])


async def test_history_needs_clickhouse(bootstrap: str) -> None:
    async with open_api(bootstrap, None) as api:
        _, key = await api.account()
        integration_id = (await api.integration(key))["id"]
        for path in (f"/api/leads/{PHONE}", f"/api/integrations/{integration_id}/history"):
            status, body = await api.call("GET", path, key=key)
            assert status == 503
            assert body["error"] == "history is not available in this process"


# -- the document and the router -----------------------------------------------
async def test_openapi_lists_every_registered_route(api: Api) -> None:
    async with api.client.get("/api/openapi.json") as response:
        assert response.status == 200 and response.content_type == "application/json"
        document = json.loads(await response.text())
    assert document["openapi"].startswith("3.1")
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    registered = {
        (route.method, route.resource.canonical)
        for route in api.client.app.router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/")
    }
    assert documented == registered
    assert len(registered) == len(ROUTES)
    assert document == json.loads(json.dumps(build_document(ROUTES)))
    components = document["components"]["schemas"]
    create = document["paths"]["/api/accounts"]["post"]
    assert create["security"] == [{"adminToken": []}]
    assert set(create["responses"]) == {"201", "400", "401", "413", "422", "503"}
    actions = document["paths"]["/api/integrations/{id}/events/{event_id}/actions"]["post"]
    assert {p["name"] for p in actions["parameters"]} == {"id", "event_id"}
    assert "409" in actions["responses"]
    assert components["ActionIn"]["discriminator"]["propertyName"] == "type"
    assert "secret" not in components["IntegrationOut"]["properties"]


async def test_unknown_api_paths_answer_json(api: Api) -> None:
    _, key = await api.account()
    status, body = await api.call("GET", "/api/nothing-here", key=key)
    assert (status, body) == (404, {"ok": False, "error": "not found"})
    status, body = await api.call("DELETE", "/api/account", key=key)
    assert status == 405 and body["ok"] is False
