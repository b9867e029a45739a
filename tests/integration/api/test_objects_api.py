"""Quick replies and chatbot flows (hookline/api/objects.py), the send actions that name
them, and templates checked when actions and objects are saved, against the real broker
(config topic) and real ClickHouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.config.state import ConfigState
from hookline.history.clickhouse import ClickHouse
from schemas.config import CONFIG_RECORD, Action
from tests.integration.api.test_api import Api, open_api

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def _hotmart_event(api: Api, key: str) -> tuple[str, str]:
    """A Hotmart integration (its preset maps email, document, product, value, status,
    transaction_id) and one conversion event: (integration id, actions path)."""
    status, integration = await api.call(
        "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}, key=key
    )
    assert status == 201, integration
    event_id = await api.event(key, integration["id"], "PURCHASE_APPROVED")
    return integration["id"], f"/api/integrations/{integration['id']}/events/{event_id}/actions"


async def test_quick_reply_crud_and_the_actions_that_send_it(api: Api) -> None:
    _, key = await api.account()
    body = {"name": "Boas-vindas", "text": "Oi {{ first_name }}!", "buttons": ["Sim", "Não"]}
    status, reply = await api.call("POST", "/api/quick-replies", body, key=key)
    assert status == 201 and reply["id"].startswith("qr_")
    assert reply | body == reply and reply["used_by"] == []
    assert await api.call("GET", f"/api/quick-replies/{reply['id']}", key=key) == (200, reply)
    assert (await api.call("GET", "/api/quick-replies", key=key))[1] == {"items": [reply]}

    for bad, problem in [
        ({"buttons": ["a", "b", "c", "d"]}, "List should have at most 3 items"),
        ({"buttons": ["Sim", "sim"]}, "button titles must differ"),
        ({"buttons": ["x" * 21]}, "at most 20 characters"),
        ({"text": "Oi {{ nome }}"}, "unknown variable nome"),
        ({"text": "Oi {{ name "}, "syntax error on line 1"),
    ]:
        status, answer = await api.call("POST", "/api/quick-replies", body | bad, key=key)
        assert status == 422 and problem in answer["error"], (bad, answer)
    status, answer = await api.call("POST", "/api/quick-replies", body | bad, key=key)
    assert "variables: name, first_name, phone, email, event, payload.<path>" in answer["error"]

    integration_id, actions = await _hotmart_event(api, key)
    status, action = await api.call(
        "POST", actions, {"type": "send_quick_reply", "quick_reply_id": reply["id"]}, key=key
    )
    assert status == 201 and action["quick_reply_id"] == reply["id"]
    assert action["quick_reply"] is None and action["buttons"] == []
    reply_path = f"/api/quick-replies/{reply['id']}"
    assert (await api.call("GET", reply_path, key=key))[1]["used_by"] == [action["id"]]

    # Edits: checked against the integrations whose actions send it.
    status, changed = await api.call(
        "PATCH", reply_path, {"text": "{{ fields.product }} chegou", "buttons": []}, key=key
    )
    assert status == 200 and changed["text"] == "{{ fields.product }} chegou"
    assert changed["buttons"] == [] and changed["name"] == "Boas-vindas"
    assert changed["updated_at"] > reply["updated_at"]
    status, answer = await api.call("PATCH", reply_path, {"text": "{{ fields.plano }}"}, key=key)
    assert status == 422 and "unknown variable fields.plano" in answer["error"]
    status, answer = await api.call("PATCH", reply_path, {"buttons": None}, key=key)
    assert status == 422 and "buttons cannot be null" in answer["error"]

    # In use: not deleted (409 naming the actions), until the action goes.
    status, answer = await api.call("DELETE", reply_path, key=key)
    assert status == 409 and action["id"] in answer["error"]
    assert "quick reply 'Boas-vindas' is sent by actions" in answer["error"]
    assert (await api.call("DELETE", f"{actions}/{action['id']}", key=key))[0] == 204
    assert (await api.call("DELETE", reply_path, key=key))[0] == 204
    assert (await api.call("GET", reply_path, key=key))[0] == 404
    assert api.runtime.view.state.get("quick_reply", reply["id"]) is None
    assert integration_id


async def test_chatbot_flows_and_send_chatbot(api: Api) -> None:
    _, key = await api.account()
    body = {"name": "Recuperação", "flow": "flow-42", "start_params": {"nome": "{{ name }}"}}
    status, flow = await api.call("POST", "/api/chatbot-flows", body, key=key)
    assert (
        status == 201
        and flow["id"].startswith("bot_")
        and flow["start_params"] == {"nome": "{{ name }}"}
    )
    status, answer = await api.call(
        "POST", "/api/chatbot-flows", body | {"start_params": {"x": "{{ x }}"}}, key=key
    )
    assert status == 422 and answer["details"] == [
        {"loc": "start_params.x", "message": "unknown variable x"}
    ]
    _, actions = await _hotmart_event(api, key)

    # The id must be this account's; the content comes from the flow, never from the action.
    status, answer = await api.call(
        "POST", actions, {"type": "send_chatbot", "chatbot_id": "bot_0123"}, key=key
    )
    assert status == 422
    assert answer["error"] == (
        f"unknown chatbot flow 'bot_0123' (this account has: {flow['id']} (Recuperação))"
    )
    for free_text in ({"flow": "recuperacao"}, {"chatbot_id": flow["id"], "flow": "x"}):
        status, answer = await api.call(
            "POST", actions, {"type": "send_chatbot", **free_text}, key=key
        )
        assert status == 422, answer
        assert "send_chatbot takes chatbot_id only" in answer["error"]
        assert "(/api/chatbot-flows)" in answer["error"]
    status, action = await api.call(
        "POST", actions, {"type": "send_chatbot", "chatbot_id": flow["id"]}, key=key
    )
    assert status == 201 and action["chatbot_id"] == flow["id"]

    # Another account sees neither the flow nor its id.
    _, other = await api.account()
    assert (await api.call("GET", f"/api/chatbot-flows/{flow['id']}", key=other))[0] == 404
    assert (await api.call("GET", "/api/chatbot-flows", key=other))[1] == {"items": []}
    _, other_actions = await _hotmart_event(api, other)
    status, answer = await api.call(
        "POST", other_actions, {"type": "send_chatbot", "chatbot_id": flow["id"]}, key=other
    )
    assert status == 422 and "none yet; create one with POST /api/chatbot-flows" in answer["error"]

    status, answer = await api.call("DELETE", f"/api/chatbot-flows/{flow['id']}", key=key)
    assert status == 409 and action["id"] in answer["error"]


async def test_templates_of_actions_are_checked_against_the_integration(api: Api) -> None:
    _, key = await api.account()
    integration_id, actions = await _hotmart_event(api, key)
    await api.call("POST", "/api/custom-fields", {"name": "cupom"}, key=key)
    ok = [
        "Oi {{ first_name }}, {{ fields.product }} ({{ fields.value }})",
        "{{ email | default('sem e-mail') }} {{ payload.data.buyer.address.city }}",
        "{% if fields.cupom %}cupom {{ fields.cupom }}{% endif %}",
    ]
    for text in ok:
        status, answer = await api.call("POST", actions, {"type": "send_message", "text": text})
        assert status == 401
        status, answer = await api.call(
            "POST", actions, {"type": "send_message", "text": text}, key=key
        )
        assert status == 201, answer
        await api.call("DELETE", f"{actions}/{answer['id']}", key=key)

    status, answer = await api.call(
        "POST",
        actions,
        {"type": "send_message", "text": "Olá {{ nome }}, {{ fields.produto }}"},
        key=key,
    )
    assert status == 422
    assert answer["details"] == [
        {"loc": "text", "message": "unknown variable nome"},
        {"loc": "text", "message": "unknown variable fields.produto"},
    ]
    assert (
        "variables: name, first_name, phone, email, event, fields.cupom, fields.document,"
        " fields.email, fields.product, fields.status, fields.transaction_id, fields.value,"
        " payload.<path>; filters: default, d, upper"
    ) in answer["error"]
    status, answer = await api.call(
        "POST",
        actions,
        {"type": "update_field", "field": "cupom", "value": "{{ payload.x | nope }}"},
        key=key,
    )
    assert status == 422 and "unknown filter 'nope'" in answer["error"]
    assert answer["details"][0]["loc"] == "value"

    # A quick reply that is fine for the account may not be for this integration.
    status, other = await api.call(
        "POST", "/api/integrations", {"name": "Outra", "platform": "generic"}, key=key
    )
    await api.call(
        "PUT",
        f"/api/integrations/{other['id']}/mapping",
        {"event": "e", "name": "n", "phone": "p", "fields": {"plano": "plan.name"}},
        key=key,
    )
    status, reply = await api.call(
        "POST", "/api/quick-replies", {"name": "Plano", "text": "{{ fields.plano }}"}, key=key
    )
    assert status == 201
    status, answer = await api.call(
        "POST", actions, {"type": "send_quick_reply", "quick_reply_id": reply["id"]}, key=key
    )
    assert status == 422 and answer["details"] == [
        {"loc": "text", "message": "unknown variable fields.plano"}
    ]
    assert f"invalid template in quick reply {reply['id']}" in answer["error"]
    assert integration_id


async def test_actions_saved_before_objects_still_load_and_list(api: Api) -> None:
    """Records in the old format (flat, free text) on the config topic are read by every
    process, listed by the API, and count as no object's users."""
    account_id, key = await api.account()
    integration_id, actions = await _hotmart_event(api, key)
    event_id = actions.split("/")[-2]
    records: list[dict[str, Any]] = [
        {"type": "send_quick_reply", "quick_reply": "qr-boas-vindas"},
        {"type": "send_chatbot", "flow": "recuperacao", "text": None, "tag": None},
    ]
    ids = []
    for n, flat in enumerate(records):
        record = CONFIG_RECORD.validate_python(
            {
                "kind": "action",
                "id": f"act_0{n}",
                "account_id": account_id,
                "integration_id": integration_id,
                "event_id": event_id,
                **flat,
            }
        )
        await api.runtime.writer.put(record)
        ids.append(record.id)
    status, listed = await api.call("GET", f"/api/integrations/{integration_id}/events", key=key)
    assert status == 200
    by_id = {a["id"]: a for a in listed["items"][0]["actions"]}
    assert by_id["act_00"]["quick_reply"] == "qr-boas-vindas"
    assert by_id["act_00"]["quick_reply_id"] is None
    assert by_id["act_01"]["flow"] == "recuperacao"
    # A fresh view of the topic reads them too (what a worker does at start).
    state: ConfigState = api.runtime.view.state
    loaded = [state.get("action", action_id) for action_id in ids]
    assert all(isinstance(a, Action) and a.object_key is None for a in loaded)
