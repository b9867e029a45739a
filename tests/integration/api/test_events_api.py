"""Editing conversion events, actions and custom fields, against the real broker: one
send per delivery (no two events of an integration share an identification; one send
action per event, also when an action changes), case-insensitive matching, the
catalogue's warning with the close identifications, and typed custom fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.history.clickhouse import ClickHouse
from tests.integration.api.test_api import Api, open_api

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def _hotmart(api: Api, key: str) -> str:
    status, body = await api.call(
        "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}, key=key
    )
    assert status == 201, body
    return body["id"]


async def _event(api: Api, key: str, integration_id: str, **body: Any) -> tuple[int, Any]:
    return await api.call("POST", f"/api/integrations/{integration_id}/events", body, key=key)


async def test_identifications_one_event_each_and_catalogue_warnings(api: Api) -> None:
    _, key = await api.account()
    hotmart = await _hotmart(api, key)
    status, approved = await _event(
        api, key, hotmart, name="Compra aprovada", identification="PURCHASE_APPROVED"
    )
    assert status == 201 and approved["warnings"] == [] and approved["case_insensitive"] is False

    # A second event on the same identification would send twice for one webhook.
    status, body = await _event(
        api, key, hotmart, name="De novo", identification="PURCHASE_APPROVED"
    )
    assert status == 409
    assert body["error"] == (
        f"event {approved['id']} (Compra aprovada) already matches 'PURCHASE_APPROVED': one"
        " webhook would trigger both; add the actions to that event"
    )
    # Another case is another value for exact events, the same one if either ignores case.
    status, lower = await _event(
        api, key, hotmart, name="minúsculas", identification="purchase_approved"
    )
    assert status == 201
    status, body = await _event(
        api,
        key,
        hotmart,
        name="Qualquer caixa",
        identification="Purchase_Approved",
        case_insensitive=True,
    )
    assert status == 409 and "(ignoring case)" in body["error"]

    # Not in Hotmart's catalogue: saved, with the close ones named.
    status, typo = await _event(api, key, hotmart, name="Erro", identification="PURCHASE_APROVED")
    assert status == 201
    assert typo["warnings"] == [
        "'PURCHASE_APROVED' is not in Hotmart's event catalogue (saved anyway; it matches"
        " only if the platform sends it); close ones: PURCHASE_APPROVED, PURCHASE_PROTEST,"
        " PURCHASE_EXPIRED"
    ]
    assert lower["warnings"] == [
        "'purchase_approved' is not in Hotmart's event catalogue (saved anyway; it matches"
        " only if the platform sends it); the catalogue spells it PURCHASE_APPROVED (write it"
        " so, or set case_insensitive)"
    ]
    status, nothing = await _event(api, key, hotmart, name="?", identification="XYZ")
    assert status == 201 and "GET /api/platforms/hotmart lists its" in nothing["warnings"][0]
    # A platform without a catalogue warns of nothing.
    generic = (await api.integration(key, "Genérico"))["id"]
    status, body = await _event(api, key, generic, name="x", identification="whatever")
    assert status == 201 and body["warnings"] == []
    # The same identification on another integration is another webhook.
    status, _ = await _event(api, key, generic, name="y", identification="PURCHASE_APPROVED")
    assert status == 201

    # PATCH: fix the typo; the warning goes; a duplicate is refused here too.
    path = f"/api/integrations/{hotmart}/events/{typo['id']}"
    status, body = await api.call("PATCH", path, {"identification": "PURCHASE_APPROVED"}, key=key)
    assert status == 409 and approved["id"] in body["error"]
    status, body = await api.call(
        "PATCH", path, {"identification": "PURCHASE_REFUNDED", "name": "Reembolso"}, key=key
    )
    assert status == 200 and body["warnings"] == []
    assert (body["name"], body["identification"]) == ("Reembolso", "PURCHASE_REFUNDED")
    assert body["updated_at"] > body["created_at"]
    status, body = await api.call("PATCH", path, {"name": "Só o nome"}, key=key)
    assert (
        status == 200 and body["warnings"] == [] and body["identification"] == "PURCHASE_REFUNDED"
    )
    # Ignoring case now overlaps the exact lower-case event.
    lower_path = f"/api/integrations/{hotmart}/events/{lower['id']}"
    status, body = await api.call("PATCH", lower_path, {"case_insensitive": True}, key=key)
    assert status == 409 and approved["id"] in body["error"]
    status, body = await api.call(
        "PATCH",
        lower_path,
        {"identification": "purchase_canceled", "case_insensitive": True},
        key=key,
    )
    assert status == 200 and body["case_insensitive"] is True and body["warnings"] == []
    state = api.runtime.view.state
    assert [e.id for e in state.matching_events(hotmart, "PURCHASE_CANCELED")] == [lower["id"]]
    status, body = await api.call("PATCH", path, {"name": None}, key=key)
    assert status == 422
    status, body = await api.call("PATCH", path, {"identification": ""}, key=key)
    assert status == 422

    # Another tenant's event, or an event under another integration, is unknown.
    _, other_key = await api.account(name="Outra")
    status, _ = await api.call("PATCH", path, {"name": "minha"}, key=other_key)
    assert status == 404
    status, _ = await api.call(
        "PATCH", f"/api/integrations/{generic}/events/{typo['id']}", {"name": "x"}, key=key
    )
    assert status == 404


async def test_actions_change_and_keep_one_send(api: Api) -> None:
    _, key = await api.account()
    hotmart = await _hotmart(api, key)
    _, event = await _event(api, key, hotmart, name="Compra", identification="PURCHASE_APPROVED")
    actions = f"/api/integrations/{hotmart}/events/{event['id']}/actions"
    _, tag = await api.call("POST", actions, {"type": "add_tag", "tag": "cliente"}, key=key)
    _, send = await api.call(
        "POST",
        actions,
        {
            "type": "send_message",
            "text": "Oi {{ first_name }}",
            "fallback_template": {"name": "boas_vindas", "body_params": ["{{ first_name }}"]},
        },
        key=key,
    )

    # Parameters change, the others stay.
    status, body = await api.call(
        "PATCH", f"{actions}/{send['id']}", {"text": "Olá {{ first_name }}!"}, key=key
    )
    assert status == 200 and body["text"] == "Olá {{ first_name }}!"
    assert body["fallback_template"]["name"] == "boas_vindas" and body["id"] == send["id"]
    status, body = await api.call("PATCH", f"{actions}/{tag['id']}", {"tag": " vip "}, key=key)
    assert status == 200 and body == tag | {"tag": "vip"}
    # Checked as when created: templates, parameters, unknown fields.
    for change, loc in (
        ({"text": "Oi {{ nope }}"}, "text"),
        ({"tag": ""}, "tag"),
        ({"colour": "red"}, "colour"),
    ):
        target = send if "text" in change else tag
        status, body = await api.call("PATCH", f"{actions}/{target['id']}", change, key=key)
        assert status == 422 and loc in body["details"][0]["loc"], (change, body)

    # The one-send rule holds when an action becomes a send...
    status, body = await api.call(
        "PATCH", f"{actions}/{tag['id']}", {"type": "send_message", "text": "Outra"}, key=key
    )
    assert status == 409 and send["id"] in body["error"]
    # ... and a send may change into another send (it replaces itself).
    _, reply = await api.call("POST", "/api/quick-replies", {"name": "Q", "text": "Oi"}, key=key)
    status, body = await api.call(
        "PATCH",
        f"{actions}/{send['id']}",
        {"type": "send_quick_reply", "quick_reply_id": reply["id"]},
        key=key,
    )
    assert status == 200 and body["type"] == "send_quick_reply" and "text" not in body
    status, body = await api.call("PATCH", f"{actions}/{send['id']}", {"type": "add_tag"}, key=key)
    assert status == 422 and body["details"][0]["loc"] == "tag"
    status, body = await api.call(
        "PATCH", f"{actions}/{send['id']}", {"type": "add_tag", "tag": "ex-envio"}, key=key
    )
    assert status == 200 and body["type"] == "add_tag"
    # Now there is no send: the tag may become one.
    status, body = await api.call(
        "PATCH", f"{actions}/{tag['id']}", {"type": "send_message", "text": "Agora sim"}, key=key
    )
    assert status == 200
    status, body = await api.call("PATCH", f"{actions}/{tag['id']}", {"type": "send_sms"}, key=key)
    assert status == 422
    state = api.runtime.view.state
    assert [a.type for a in state.actions_of(event["id"])] == ["send_message", "add_tag"]

    _, other_key = await api.account(name="Outra")
    status, _ = await api.call("PATCH", f"{actions}/{tag['id']}", {"tag": "x"}, key=other_key)
    assert status == 404
    _, second = await _event(api, key, hotmart, name="Outro", identification="PURCHASE_REFUNDED")
    elsewhere = f"/api/integrations/{hotmart}/events/{second['id']}/actions/{tag['id']}"
    assert (await api.call("PATCH", elsewhere, {"tag": "x"}, key=key))[0] == 404


async def test_custom_fields_are_typed_and_change(api: Api) -> None:
    _, key = await api.account()
    status, valor = await api.call(
        "POST", "/api/custom-fields", {"name": "valor", "type": "number"}, key=key
    )
    assert status == 201 and valor["type"] == "number"
    status, plain = await api.call("POST", "/api/custom-fields", {"name": "nota"}, key=key)
    assert status == 201 and plain["type"] == "text"
    status, body = await api.call(
        "POST", "/api/custom-fields", {"name": "cor", "type": "color"}, key=key
    )
    assert status == 422 and body["details"][0]["loc"] == "type"

    hotmart = await _hotmart(api, key)
    _, event = await _event(api, key, hotmart, name="Compra", identification="PURCHASE_APPROVED")
    actions = f"/api/integrations/{hotmart}/events/{event['id']}/actions"
    # A literal value must fit the field; a template is checked when a webhook renders it.
    status, body = await api.call(
        "POST", actions, {"type": "update_field", "field": "valor", "value": "caro"}, key=key
    )
    assert status == 422 and body["details"] == [
        {"loc": "value", "message": "'caro' does not fit number field 'valor': not a number"}
    ]
    for value in ("12,5", "{{ payload.data.purchase.price.value }}", ""):
        status, body = await api.call(
            "POST", actions, {"type": "update_field", "field": "valor", "value": value}, key=key
        )
        assert status == 201, body
    status, literal = await api.call(
        "POST", actions, {"type": "update_field", "field": "nota", "value": "dez"}, key=key
    )
    status, body = await api.call(
        "PATCH", f"{actions}/{literal['id']}", {"field": "valor"}, key=key
    )
    assert status == 422 and "does not fit number field 'valor'" in body["error"]

    # PATCH: description and type; the name stays.
    path = f"/api/custom-fields/{plain['id']}"
    status, body = await api.call("PATCH", path, {"description": "a nota"}, key=key)
    assert status == 200 and body["description"] == "a nota" and body["type"] == "text"
    status, body = await api.call("PATCH", path, {"type": "number"}, key=key)
    assert status == 422 and literal["id"] in body["error"] and "'dez'" in body["error"]
    await api.call("PATCH", f"{actions}/{literal['id']}", {"value": "10"}, key=key)
    status, body = await api.call("PATCH", path, {"type": "number"}, key=key)
    assert status == 200 and body["type"] == "number" and body["updated_at"] > body["created_at"]
    status, body = await api.call("PATCH", path, {"name": "outro"}, key=key)
    assert status == 422
    status, body = await api.call("PATCH", path, {"type": None}, key=key)
    assert status == 422
    status, body = await api.call("GET", "/api/custom-fields", key=key)
    assert {f["name"]: f["type"] for f in body["items"]} == {"valor": "number", "nota": "number"}
    _, other_key = await api.account(name="Outra")
    assert (await api.call("PATCH", path, {"description": "x"}, key=other_key))[0] == 404
