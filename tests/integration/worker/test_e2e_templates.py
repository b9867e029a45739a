"""Templates and account objects through the whole pipeline, in ``hookline dev``, over
HTTP only: a quick reply's text is rendered from the lead and the payload when the
webhook matches, and a message whose template prints a value the webhook lacks is not
sent, the webhook's history naming the variable (its other actions still run)."""

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
    _eventually,
    _messages,
    _post,
    _running,
    _sample,
    _status,
)

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


async def test_a_missing_variable_stops_the_message_and_history_says_which(
    tmp_path: Path,
) -> None:
    server = DevServer(tmp_path / "dev")
    with _running(server):
        async with aiohttp.ClientSession() as session:
            api = await _account(session, server, "business")
            integration = await api.call(
                "POST", "/api/integrations", 201, {"name": "Hotmart", "platform": "hotmart"}
            )
            base = f"/api/integrations/{integration['id']}"
            await api.call("POST", "/api/custom-fields", 201, {"name": "cupom"})
            reply = await api.call(
                "POST",
                "/api/quick-replies",
                201,
                {
                    "name": "Cancelamento",
                    "text": "Oi {{ first_name }}, {{ payload.data.product.name }} foi cancelado",
                    "buttons": ["Quero de volta", "Não"],
                },
            )

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
                "PURCHASE_CANCELED",
                {"type": "send_quick_reply", "quick_reply_id": reply["id"]},
            )
            await event(
                "PURCHASE_APPROVED",
                {"type": "add_tag", "tag": "comprou"},
                {"type": "send_message", "text": "Olá {{ fields.cupom }}, pagamento confirmado!"},
            )

            lead_path = f"/api/leads/{quote(PHONE)}"

            async def messages() -> list | None:
                # 404 until the lead exists.
                async with session.get(
                    server.base + lead_path + "/messages", headers=api.headers
                ) as response:
                    return (await response.json())["messages"] if response.status == 200 else None

            await _post(session, integration["url"], _sample("hotmart__PURCHASE_CANCELED.json"))
            (sent,) = await _eventually(messages)
            assert sent["message_type"] == "quick_reply" and sent["channel"] == "recording"
            assert sent["content"] == "Oi Teste, Produto test postback2 foi cancelado"

            # Edited afterwards: the message already sent keeps what it carried.
            await api.call("PATCH", f"/api/quick-replies/{reply['id']}", 200, {"text": "Novo"})
            approved = json.loads(_sample("hotmart__PURCHASE_APPROVED.json"))
            await _post(session, integration["url"], json.dumps(approved).encode())

            async def tagged():
                lead = await api.call("GET", lead_path, 200)
                return lead if lead["tags"] == ["comprou"] else None

            await _eventually(tagged)

            async def approved_row():
                # The first webhook's row is there already; the lead's row can be stored
                # a sink batch before this webhook's.
                matched = await _status(api, integration["id"], "matched") or []
                return [h for h in matched if h["event"] == "PURCHASE_APPROVED"]

            (row,) = await _eventually(approved_row)
            assert row["action_types"] == ["add_tag"]
            (error,) = row["errors"]
            assert error.startswith("send_message act_") and error.endswith(
                " not sent: no value for fields.cupom"
            )
            messages = await _messages(api, lead_path)
            assert [m["content"] for m in messages] == [sent["content"]]
