"""Platform presets on integration creation, the presets catalogue, and the discovery views
(structure, suggested mapping), against the real broker and real ClickHouse.

Recent payloads are produced the way production produces them: an envelope goes through
:func:`streams.process.process_envelope` with the API's own config state, and its history
record is written to ClickHouse with the sink's row builder."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from platforms import PLATFORM_IDS, get_preset
from schemas.envelope import WebhookEnvelope
from streams.process import process_envelope
from tests.integration.api.test_api import Api, open_api
from tests.samples import load_samples

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


def _sample_body(name: str) -> bytes:
    sample = next(s for s in load_samples() if s.name == name)
    return sample.raw


HOTMART_APPROVED = "hotmart__PURCHASE_APPROVED.json"
HOTMART_CANCELED = "hotmart__PURCHASE_CANCELED.json"
EDUZZ_PAID = "eduzz__myeduzz.invoice_paid.json"


async def deliver(
    api: Api,
    store: HistoryStore,
    integration: dict[str, Any],
    body: bytes,
    *,
    at: int = 0,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    kind: str = "event",
) -> Any:
    """One webhook through the pure processing step, its history stored as the sink would."""
    state = api.runtime.view.state
    stored = state.integration(integration["id"])
    envelope = WebhookEnvelope(
        request_id=secrets.token_hex(8),
        integration_id=stored.id,
        account_id=stored.account_id,
        received_at=START + timedelta(seconds=at),
        kind=kind,
        content_type=content_type,
        headers={"content-type": content_type, **(headers or {})},
        body=body,
    )
    outcome = process_envelope(envelope, state)
    table, row = rows_for(outcome.history)
    await store.write(table, [row])
    return outcome


async def create(api: Api, key: str, **body: Any) -> tuple[int, Any]:
    return await api.call("POST", "/api/integrations", {"name": "Loja", **body}, key=key)


# -- presets catalogue ---------------------------------------------------------
async def test_platforms_list_every_preset_with_its_catalogue(api: Api) -> None:
    _, key = await api.account()
    status, body = await api.call("GET", "/api/platforms", key=key)
    assert status == 200
    assert [p["id"] for p in body["items"]] == list(PLATFORM_IDS)
    by_id = {p["id"]: p for p in body["items"]}
    hotmart = by_id["hotmart"]
    assert hotmart["documented"] is True and hotmart["signature_scheme"] == "hotmart"
    assert {"identification": "PURCHASE_APPROVED", "label": "Compra aprovada"} in hotmart["events"]
    assert hotmart["mapping"]["name"] == list(get_preset("hotmart").mapping.name)
    assert hotmart["delivery_id"] == "id" and hotmart["default_region"] == "BR"
    assert by_id["shopify"]["event"] == {"header": "X-Shopify-Topic"}
    assert by_id["generic"]["mapping"] is None and by_id["generic"]["events"] == []
    assert by_id["braip"]["documented"] is False and by_id["braip"]["notes"]

    assert await api.call("GET", "/api/platforms/kiwify", key=key) == (200, by_id["kiwify"])
    status, body = await api.call("GET", "/api/platforms/Hotmart", key=key)
    assert status == 404 and "expected one of: activecampaign, asaas" in body["error"]
    status, _ = await api.call("GET", "/api/platforms")
    assert status == 401


# -- presets applied on creation -----------------------------------------------
async def test_creating_a_hotmart_integration_applies_its_mapping(
    api: Api, clickhouse: ClickHouse
) -> None:
    _, key = await api.account()
    status, created = await create(api, key, platform="hotmart")
    assert status == 201 and created["platform"] == "hotmart"
    assert created["preset"] == {
        "id": "hotmart",
        "display_name": "Hotmart",
        "documented": True,
        "mapping_applied": True,
        "default_region": "BR",
        "notes": get_preset("hotmart").notes,
        "covers": list(get_preset("hotmart").covers),
        "ids_only": None,
    }
    assert created["url"].endswith(created["token"])
    path = f"/api/integrations/{created['id']}/mapping"
    status, mapping = await api.call("GET", path, key=key)
    assert status == 200
    assert mapping == get_preset("hotmart").mapping.model_dump(mode="json")

    # Zero mapping work: a conversion event and Hotmart's own payload match at once.
    event = await api.event(key, created["id"], "PURCHASE_CANCELED")
    outcome = await deliver(api, HistoryStore(clickhouse), created, _sample_body(HOTMART_CANCELED))
    assert outcome.failure is None
    assert outcome.history.status == "matched" and outcome.history.matched_event_ids == [event]
    assert outcome.history.fields["email"] and outcome.history.phone.startswith("+55")

    # Every path can still be changed.
    mine = {"event": "event", "name": "data.buyer.first_name", "phone": "data.buyer.phone"}
    status, body = await api.call("PUT", path, mine, key=key)
    # The cancellation sent no data.buyer.phone: saved, with a warning that names it.
    assert status == 200 and body.pop("warnings")[0].startswith(
        "not found on the latest webhook: phone"
    )
    assert (await api.call("GET", path, key=key))[1] == body
    assert api.runtime.view.state.mapping(created["id"]).name == "data.buyer.first_name"


async def test_generic_and_unknown_platforms(api: Api) -> None:
    _, key = await api.account()
    for body in ({}, {"platform": "generic"}, {"platform": "braip"}):
        status, created = await create(api, key, **body)
        assert status == 201, created
        assert created["preset"]["mapping_applied"] is False
        assert created["platform"] == body.get("platform", "generic")
        status, answer = await api.call(
            "GET", f"/api/integrations/{created['id']}/mapping", key=key
        )
        assert (status, answer["error"]) == (404, "mapping not found")
    assert created["preset"]["documented"] is False

    status, body = await create(api, key, platform="hotmartt")
    assert status == 422
    assert body["details"][0]["loc"] == "platform"
    assert "unknown platform 'hotmartt', expected one of: " in body["error"]
    assert "hotmart" in body["details"][0]["message"].split("expected one of: ")[1]
    assert len((await api.call("GET", "/api/integrations", key=key))[1]["items"]) == 3

    # Changing the platform later: a preset id too.
    status, body = await api.call(
        "PATCH", f"/api/integrations/{created['id']}", {"platform": "kiwifi"}, key=key
    )
    assert status == 422 and "unknown platform 'kiwifi'" in body["error"]
    status, body = await api.call(
        "PATCH", f"/api/integrations/{created['id']}", {"platform": "kiwify"}, key=key
    )
    assert status == 200 and body["platform"] == "kiwify"
    # ... and the new platform's preset mapping is applied, and the answer says so.
    assert body["preset"]["id"] == "kiwify" and body["preset"]["mapping_applied"] is True
    status, mapping = await api.call("GET", f"/api/integrations/{created['id']}/mapping", key=key)
    assert status == 200 and mapping["name"] == get_preset("kiwify").mapping.name


async def test_switching_platform_replaces_the_old_presets_mapping(api: Api) -> None:
    _, key = await api.account()
    _, created = await create(api, key, platform="hotmart")
    path = f"/api/integrations/{created['id']}"
    status, body = await api.call("PATCH", path, {"platform": "eduzz"}, key=key)
    assert status == 200 and body["preset"]["mapping_applied"] is True
    assert "Legacy webhook" in " ".join(body["preset"]["covers"])
    _, mapping = await api.call("GET", f"{path}/mapping", key=key)
    assert mapping["event"] == json.loads(get_preset("eduzz").mapping.model_dump_json())["event"]
    # A PATCH that does not change the platform applies nothing.
    status, body = await api.call("PATCH", path, {"name": "Eduzz"}, key=key)
    assert status == 200 and body["preset"] is None
    # An ids-only platform has no mapping to apply: the answer and the view say so.
    status, body = await api.call("PATCH", path, {"platform": "nuvemshop"}, key=key)
    assert body["preset"]["mapping_applied"] is False and body["preset"]["ids_only"]
    assert "only ids" in body["platform_notice"]
    _, view = await api.call("GET", path, key=key)
    assert "enrich from its api" in view["platform_notice"].lower()


async def test_integration_and_platform_views_agree_on_the_scheme(api: Api) -> None:
    _, key = await api.account()
    _, platforms_list = await api.call("GET", "/api/platforms", key=key)
    for platform in platforms_list["items"]:
        status, created = await create(api, key, platform=platform["id"])
        assert status == 201, created
        assert created["signature_scheme"] == platform["signature_scheme"], platform["id"]
    monetizze = next(p for p in platforms_list["items"] if p["id"] == "monetizze")
    assert monetizze["signature_scheme"] == "field_token" and monetizze["platform_signs"]
    greenn = next(p for p in platforms_list["items"] if p["id"] == "greenn")
    assert greenn["signature_scheme"] == "header_token" and not greenn["platform_signs"]
    for ids_only in ("asaas", "mercadopago", "nuvemshop", "vtex"):
        assert next(p for p in platforms_list["items"] if p["id"] == ids_only)["ids_only"]
    assert all(p["covers"] for p in platforms_list["items"] if p["mapping"])


# -- structure -----------------------------------------------------------------
async def test_structure_of_recent_payloads(api: Api, clickhouse: ClickHouse) -> None:
    _, key = await api.account()
    _, created = await create(api, key, platform="hotmart")
    store = HistoryStore(clickhouse)
    await deliver(api, store, created, _sample_body(HOTMART_APPROVED), at=1)
    await deliver(api, store, created, _sample_body(HOTMART_CANCELED), at=2)
    await deliver(api, store, created, b'{"event": "PING"}', at=3, kind="ping")
    await deliver(api, store, created, b"<xml/>", at=4, content_type="application/xml")
    await deliver(
        api, store, created, b'{"event": "X", "data": {"extra": [1, 2]}}', at=5,
        headers={"user-agent": "Hotmart"},
    )  # fmt: skip

    path = f"/api/integrations/{created['id']}/structure"
    status, body = await api.call("GET", path, key=key)
    assert status == 200
    assert (body["sampled"], body["skipped"], body["truncated"]) == (3, 1, False)
    paths = {p["path"]: p for p in body["paths"]}
    name = paths["data.buyer.name"]
    assert name["parent"] == "data.buyer" and name["types"] == ["string"]
    assert name["count"] == 2 and name["frequency"] == pytest.approx(2 / 3, abs=1e-4)
    assert isinstance(name["example"], str) and name["example"]
    assert paths["event"] | {"example": None} == {
        "path": "event",
        "parent": "",
        "types": ["string"],
        "example": None,
        "count": 3,
        "frequency": 1.0,
    }
    assert paths["data.extra[]"]["types"] == ["integer"] and paths["data.extra[]"]["count"] == 1
    # A tree in document order: every container comes before what it holds.
    order = [p["path"] for p in body["paths"]]
    for entry in body["paths"]:
        assert entry["parent"] == "" or order.index(entry["parent"]) < order.index(entry["path"])
    headers = {h["name"]: h for h in body["headers"]}
    assert headers["content-type"]["count"] == 3
    assert headers["user-agent"] == {
        "name": "user-agent",
        "example": "Hotmart",
        "count": 1,
        "frequency": pytest.approx(1 / 3, abs=1e-4),
    }

    status, body = await api.call("GET", path, key=key, limit=1)
    assert (status, body["sampled"]) == (200, 1)
    assert "data.buyer.name" not in {p["path"] for p in body["paths"]}  # newest only
    for bad in ("0", "1001", "x"):
        status, body = await api.call("GET", path, key=key, limit=bad)
        assert status == 422 and body["details"][0]["loc"] == "limit"


async def test_structure_of_an_integration_without_webhooks(api: Api) -> None:
    _, key = await api.account()
    _, created = await create(api, key)
    status, body = await api.call("GET", f"/api/integrations/{created['id']}/structure", key=key)
    assert (status, body) == (
        200,
        {"sampled": 0, "skipped": 0, "truncated": False, "paths": [], "headers": []},
    )
    status, body = await api.call(
        "GET", f"/api/integrations/{created['id']}/suggested-mapping", key=key
    )
    assert status == 200
    assert body["missing"] == ["event", "name", "phone"] and body["mapping"] is None
    assert (body["detected_platforms"], body["checks"], body["fields"]) == ([], [], {})


# -- suggested mapping ---------------------------------------------------------
async def test_suggested_mapping_for_any_other_platform(api: Api, clickhouse: ClickHouse) -> None:
    _, key = await api.account()
    _, created = await create(api, key)  # generic: no mapping, every webhook dead-letters
    store = HistoryStore(clickhouse)
    for at in range(3):
        outcome = await deliver(api, store, created, _sample_body(EDUZZ_PAID), at=at)
        assert outcome.failure == "integration has no mapping yet"

    path = f"/api/integrations/{created['id']}/suggested-mapping"
    status, body = await api.call("GET", path, key=key)
    assert status == 200 and body["sampled"] == 3 and body["missing"] == []
    fields = body["fields"]
    assert list(fields)[:3] == ["event", "name", "phone"]
    assert fields["event"]["source"] == "event"
    assert fields["name"]["source"].startswith("data.buyer.name")
    assert fields["email"]["source"] == "data.buyer.email"
    assert fields["email"]["example"] == "alice.johnson@example.com"
    for found in fields.values():
        assert 0 < found["confidence"] <= 1 and found["reason"]
    assert fields["phone"]["alternatives"], "runners-up are offered"
    assert body["detected_platforms"][0]["id"] == "eduzz"
    assert body["mapping"]["default_region"] == "BR"
    assert [c["of"] for c in body["checks"]] == ["suggested"]
    suggested = body["checks"][0]
    assert suggested["payloads"] == 3 and suggested["ok"] == 3
    assert suggested["resolved"] == {"event": 3, "name": 3, "phone": 3, "email": 3}

    # Accepting it: the suggestion is a mapping the API takes as is.
    mapping_path = f"/api/integrations/{created['id']}/mapping"
    status, saved = await api.call("PUT", mapping_path, body["mapping"], key=key)
    assert status == 200 and saved == body["mapping"] | {"warnings": []}
    status, body = await api.call("GET", path, key=key)
    assert [c["of"] for c in body["checks"]] == ["saved", "suggested"]


async def test_suggested_mapping_reports_how_the_preset_fares(
    api: Api, clickhouse: ClickHouse
) -> None:
    _, key = await api.account()
    _, created = await create(api, key, platform="hotmart")
    store = HistoryStore(clickhouse)
    await deliver(api, store, created, _sample_body(HOTMART_APPROVED), at=1)
    await deliver(api, store, created, b'{"event": "PURCHASE_APPROVED", "data": {}}', at=2)
    await deliver(
        api, store, created, _sample_body(HOTMART_CANCELED), at=3,
        headers={"x-hotmart-webhook-version": "2.0.0"},
    )  # fmt: skip

    path = f"/api/integrations/{created['id']}/suggested-mapping"
    status, body = await api.call("GET", path, key=key)
    assert status == 200
    assert body["detected_platforms"][0]["id"] == "hotmart"
    checks = {c["of"]: c for c in body["checks"]}
    assert set(checks) == {"preset", "suggested"}
    preset = checks["preset"]
    assert (preset["payloads"], preset["ok"]) == (3, 2)
    assert preset["resolved"] == {"event": 3, "name": 2, "phone": 2, "email": 2}
    assert "missing required field: name" in preset["errors"]

    # Once the user changes the mapping, both are shown.
    mine = {"event": "event", "name": "data.buyer.name", "phone": "data.buyer.checkout_phone"}
    await api.call("PUT", f"/api/integrations/{created['id']}/mapping", mine, key=key)
    status, body = await api.call("GET", path, key=key, limit=1)
    assert [c["of"] for c in body["checks"]] == ["saved", "preset", "suggested"]
    assert all(c["payloads"] == 1 for c in body["checks"])


# -- isolation and availability ------------------------------------------------
async def test_discovery_views_are_per_tenant(api: Api, clickhouse: ClickHouse) -> None:
    _, key_a = await api.account(name="A")
    _, key_b = await api.account(name="B")
    _, mine = await create(api, key_a, platform="hotmart")
    _, theirs = await create(api, key_b, platform="hotmart")
    store = HistoryStore(clickhouse)
    await deliver(api, store, mine, _sample_body(HOTMART_APPROVED))
    await deliver(api, store, theirs, b'{"event": "B_ONLY", "secret_of_b": "x"}')

    for view in ("structure", "suggested-mapping"):
        status, body = await api.call("GET", f"/api/integrations/{mine['id']}/{view}", key=key_b)
        assert status == 404 and body == {"ok": False, "error": "integration not found"}
        status, body = await api.call("GET", f"/api/integrations/{mine['id']}/{view}", key=key_a)
        assert status == 200 and body["sampled"] == 1
        assert "secret_of_b" not in json.dumps(body) and "B_ONLY" not in json.dumps(body)
    status, _ = await api.call("GET", f"/api/integrations/{mine['id']}/structure")
    assert status == 401


async def test_discovery_views_need_clickhouse(bootstrap: str) -> None:
    async with open_api(bootstrap, None) as api:
        _, key = await api.account()
        _, created = await create(api, key)
        for view in ("structure", "suggested-mapping"):
            status, body = await api.call(
                "GET", f"/api/integrations/{created['id']}/{view}", key=key
            )
            assert (status, body["error"]) == (503, "history is not available in this process")
        # The catalogue does not need history.
        assert (await api.call("GET", "/api/platforms", key=key))[0] == 200
