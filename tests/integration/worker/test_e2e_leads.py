"""Leads and events through the whole pipeline, in ``hookline dev``, over HTTP only: two
webhooks for one lead dead-lettered (no mapping yet), then replayed named in the reverse
order; the worker runs them as received, so the lead ends as the platform left it
(approved, then refunded). On the way: the mapping's standard fields on the lead's
profile with no action, typed custom fields (a value that does not fit is named in the
webhook's history), the lead found by any spelling of its phone, in the list by tag and
integration, and its timeline."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from hookline.embedded.devprocess import DevServer
from tests.integration.worker.test_e2e import (
    PHONE,
    _account,
    _deadletters,
    _eventually,
    _post,
    _running,
    _sample,
)

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

MAPPING = {
    "event": "event",
    "name": "data.buyer.name",
    "phone": "data.buyer.checkout_phone",
    "fields": {
        "email": "data.buyer.email",
        "document": "data.buyer.document",
        "city": "data.buyer.address.city",
        "product": "data.product.name",
    },
}


def _webhook(event: str, delivery_id: str) -> bytes:
    body = json.loads(_sample("hotmart__PURCHASE_APPROVED.json"))
    body["event"], body["id"] = event, delivery_id
    return json.dumps(body).encode()


async def test_replayed_dead_letters_leave_the_lead_as_the_platform_did(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "dev")
    with _running(server):
        async with aiohttp.ClientSession() as session:
            api = await _account(session, server, "business")
            integration = await api.call(
                "POST", "/api/integrations", 201, {"name": "Loja", "platform": "generic"}
            )
            base = f"/api/integrations/{integration['id']}"
            await api.call("POST", "/api/custom-fields", 201, {"name": "situacao"})
            await api.call("POST", "/api/custom-fields", 201, {"name": "valor", "type": "number"})
            await api.call("POST", "/api/custom-fields", 201, {"name": "ativo", "type": "boolean"})

            async def event(identification: str, *actions: dict) -> None:
                created = await api.call(
                    "POST",
                    f"{base}/events",
                    201,
                    {"name": identification, "identification": identification},
                )
                for action in actions:
                    await api.call("POST", f"{base}/events/{created['id']}/actions", 201, action)

            await event(
                "PURCHASE_APPROVED",
                {"type": "add_tag", "tag": "cliente"},
                {"type": "update_field", "field": "situacao", "value": "aprovada"},
                {
                    "type": "update_field",
                    "field": "valor",
                    "value": "{{ payload.data.purchase.price.value }}",
                },
                {
                    "type": "update_field",
                    "field": "ativo",
                    "value": "{{ payload.data.product.name }}",
                },
            )
            await event(
                "PURCHASE_REFUNDED",
                {"type": "remove_tag", "tag": "cliente"},
                {"type": "update_field", "field": "situacao", "value": "reembolsada"},
            )

            # Received in the platform's order, both fail: no mapping yet.
            first = await _post(session, integration["url"], _webhook("PURCHASE_APPROVED", "d-1"))
            second = await _post(session, integration["url"], _webhook("PURCHASE_REFUNDED", "d-2"))

            async def both_dead():
                dead = await _deadletters(api, integration["id"])
                return dead if len(dead) == 2 else None

            await _eventually(both_dead)
            await api.call("PUT", f"{base}/mapping", 200, MAPPING)
            replay = await api.call(
                "POST",
                f"{base}/deadletters/replay",
                200,
                {"request_ids": [second["id"], first["id"]]},
            )
            assert replay["request_ids"] == [first["id"], second["id"]]

            # Spelled as a person writes it (the sample's national number, DDD 99).
            timeline_path = f"/api/leads/{quote('(99) 99999-9900')}/timeline"

            async def settled():
                async with session.get(server.base + timeline_path, headers=api.headers) as r:
                    if r.status != 200:
                        return None
                    items = (await r.json())["items"]
                webhooks = [i for i in items if i["kind"] == "webhook"]
                commands = [i for i in items if i["kind"] == "command"]
                done = len(commands) == 5 and [w["status"] for w in webhooks] == ["matched"] * 2
                return items if done else None

            items = await _eventually(settled, timeout=60)
            assert await _deadletters(api, integration["id"]) == []
            webhooks = [i for i in items if i["kind"] == "webhook"]
            assert [w["event"] for w in webhooks] == ["PURCHASE_APPROVED", "PURCHASE_REFUNDED"]
            (error,) = webhooks[0]["errors"]
            assert error.startswith("update_field act_") and error.endswith(
                " not run: \"Produto test postback2\" is not stored in boolean field 'ativo':"
                " not a boolean (true/false, sim/não, 1/0)"
            )
            commands = sorted((i["request_id"], i["type"]) for i in items if i["kind"] == "command")
            assert commands == sorted(
                [(first["id"], "add_tag")]
                + [(first["id"], "update_field")] * 2
                + [(second["id"], "remove_tag"), (second["id"], "update_field")]
            )

            lead = await api.call("GET", f"/api/leads/{quote(PHONE)}", 200)
            assert lead["tags"] == []
            assert lead["fields"] == {"situacao": "reembolsada", "valor": 1500}
            assert lead["profile"] == {
                "email": "testecomprador271101postman15@example.com",
                "document": "69526128664",
                "city": "Uberlândia",
            }
            for spelled in ("5599999999900", "+55 99 99999-9900"):
                assert await api.call("GET", f"/api/leads/{quote(spelled)}", 200) == lead

            listed = await api.call("GET", f"/api/leads?integration={integration['id']}", 200)
            assert [item["phone"] for item in listed["items"]] == [PHONE]
            assert (await api.call("GET", "/api/leads?tag=cliente", 200))["items"] == []
            by_field = await api.call("GET", "/api/leads?field=valor%3D1.500,00", 200)
            assert [item["phone"] for item in by_field["items"]] == [PHONE]
