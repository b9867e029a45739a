"""Messages through a real channel in ``hookline dev``: Hotmart webhooks in, sends out
to a local server imitating the WhatsApp Cloud API (its documented answers), and the
outcome in the API: each answer's classification, asking again (503, 429 with
Retry-After), giving up, no answer (stalling), the template fallback of a closed
window, the failed-messages list and a retry from it, refused credentials stopping an
account until its channel changes, tenants apart. The imitation counts every call:
no command is taken twice, and none is asked again after no answer."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from core.settings import Settings
from hookline.embedded.devprocess import DevServer
from tests.provider import ProviderCall, ProviderStandIn, cloud_error, cloud_sent
from tests.samples import load_samples

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

GIVE_UP_SECONDS = 2
#: The recipients (national numbers) and what the imitation answers each.
SENT, INVALID, DOWN, WINDOW, WINDOW_NO_TEMPLATE, STALL, LIMITED = (
    f"119100000{n:02d}" for n in range(1, 8)
)


def e164(national: str) -> str:
    return f"+55{national}"


def _webhook(n: int, national: str) -> bytes:
    (sample,) = [s for s in load_samples() if s.name == "hotmart__PURCHASE_CANCELED.json"]
    body = json.loads(sample.raw)
    body["id"] = f"delivery-{n}-{national}"
    body["data"]["buyer"]["checkout_phone"] = national
    return json.dumps(body).encode()


class Imitation:
    """The Cloud API's answers by recipient; the outcome of every call kept."""

    def __init__(self) -> None:
        self.recovered = False
        self.token_ok: dict[str, bool] = defaultdict(lambda: True)
        #: (phone number id, command id, what was answered)
        self.answered: list[tuple[str, str, str]] = []

    async def __call__(self, call: ProviderCall, n: int) -> web.StreamResponse:
        number_id = call.path.split("/")[2]
        answer, response = await self._answer(call, number_id)
        self.answered.append((number_id, call.command_id, answer))
        return response

    async def _answer(self, call: ProviderCall, number_id: str) -> tuple[str, web.StreamResponse]:
        if not self.token_ok[number_id]:
            return "auth", cloud_error(190, 401, "Error validating access token")
        to, kind = call.body["to"][2:], call.body["type"]
        earlier = sum(1 for _, c, _ in self.answered if c == call.command_id)
        if to == INVALID:
            return "refused", cloud_error(131026, 400, "Message undeliverable")
        if to == DOWN and not self.recovered:
            return "refused", web.json_response({"error": {"message": "down"}}, status=503)
        if to in (WINDOW, WINDOW_NO_TEMPLATE) and kind == "text":
            return "refused", cloud_error(131047, 400, "Re-engagement message")
        if to == WINDOW_NO_TEMPLATE:
            return "refused", cloud_error(132001, 404, "Template name does not exist")
        if to == STALL:
            await asyncio.sleep(4)
        if to == LIMITED and earlier == 0:
            return "refused", web.json_response({}, status=429, headers={"Retry-After": "1"})
        return "taken", cloud_sent(call, len(self.answered))

    def taken(self) -> Counter[str]:
        return Counter(c for _, c, answer in self.answered if answer == "taken")

    def calls(self, number_id: str) -> int:
        return sum(1 for n, _, _ in self.answered if n == number_id)


class Account:
    def __init__(self, session: aiohttp.ClientSession, server: DevServer) -> None:
        self.session, self.server = session, server
        self.headers: dict[str, str] = {}
        self.url = ""

    async def call(self, method: str, path: str, body=None, expect: int | None = None):
        async with self.session.request(
            method, self.server.base + path, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            if expect is not None:
                assert response.status == expect, f"{method} {path}: {response.status} {text}"
            return response.status, (json.loads(text) if text else None)

    async def create(self, name: str, channel: dict) -> None:
        self.headers = {"Authorization": f"Bearer {self.server.admin_token}"}
        _, created = await self.call("POST", "/api/accounts", {"name": name, "plan": "elite"}, 201)
        self.headers = {"Authorization": f"Bearer {created['api_key']}"}
        await self.call("PUT", "/api/account/channel", channel, 200)
        _, integration = await self.call(
            "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}, 201
        )
        iid = integration["id"]
        self.url = integration["url"]
        mapping = {
            "event": "event",
            "name": "data.buyer.name",
            "phone": "data.buyer.checkout_phone",
        }
        await self.call("PUT", f"/api/integrations/{iid}/mapping", mapping, 200)
        _, event = await self.call(
            "POST",
            f"/api/integrations/{iid}/events",
            {"name": "cancel", "identification": "PURCHASE_CANCELED"},
            201,
        )
        action = {
            "type": "send_message",
            "text": "Oi {{ first_name }}, sua compra foi cancelada",
            "fallback_template": {"name": "compra_cancelada", "body_params": ["{{ first_name }}"]},
        }
        await self.call(
            "POST", f"/api/integrations/{iid}/events/{event['id']}/actions", action, 201
        )

    async def webhook(self, n: int, national: str) -> None:
        async with self.session.post(
            self.url, data=_webhook(n, national), headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 200, await response.text()

    async def messages(self, national: str, count: int = 1, timeout: float = 60) -> list[dict]:
        """The lead's messages once it has ``count`` of them."""
        async with asyncio.timeout(timeout):
            while True:
                status, body = await self.call(
                    "GET", f"/api/leads/{quote(e164(national))}/messages"
                )
                if status == 200 and len(body["messages"]) >= count:
                    return body["messages"]
                await asyncio.sleep(0.5)


def cloud_channel(base: str, number_id: str) -> dict:
    return {
        "type": "whatsapp_cloud",
        "base_url": base,
        "phone_number_id": number_id,
        "access_token": f"EAAG-{number_id}",
        "timeout_seconds": 1,
        "recipient_gap_seconds": 0,
    }


async def test_messages_through_an_imitated_cloud_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKLINE_SEND_GIVE_UP_SECONDS", str(GIVE_UP_SECONDS))
    imitation = Imitation()
    server = DevServer(tmp_path / "dev")
    async with ProviderStandIn(imitation) as provider:
        server.start()
        try:
            async with aiohttp.ClientSession() as session:
                await _scenario(session, server, provider, imitation)
        except BaseException as exc:
            exc.add_note(server.log_tail(80))
            raise
        finally:
            server.stop()


async def _scenario(
    session: aiohttp.ClientSession,
    server: DevServer,
    provider: ProviderStandIn,
    imitation: Imitation,
) -> None:
    shop = Account(session, server)
    await shop.create("Loja", cloud_channel(provider.base, "111"))
    phones = [SENT, INVALID, DOWN, WINDOW, WINDOW_NO_TEMPLATE, STALL, LIMITED]
    for n, national in enumerate(phones):
        await shop.webhook(n, national)
    outcome = {national: (await shop.messages(national))[0] for national in phones}
    got = {k: (m["status"], m["reason"]) for k, m in outcome.items()}
    assert got == {
        SENT: ("sent", ""),
        INVALID: ("failed", "invalid_recipient"),
        DOWN: ("failed", "retryable"),
        WINDOW: ("sent", ""),
        WINDOW_NO_TEMPLATE: ("failed", "fatal"),
        STALL: ("unknown", "unknown"),
        LIMITED: ("sent", ""),
    }
    assert outcome[SENT]["channel"] == "whatsapp_cloud"
    assert outcome[SENT]["provider_message_id"].startswith("wamid.")
    assert outcome[DOWN]["detail"].startswith("gave up after")
    assert outcome[WINDOW]["detail"].startswith("window closed; template 'compra_cancelada'")
    assert "132001" in outcome[WINDOW_NO_TEMPLATE]["detail"]

    # The failed-messages list, then one sent again once the provider recovered.
    _, failed = await shop.call("GET", "/api/messages/failed", expect=200)
    listed = {item["phone"]: item for item in failed["items"]}
    assert set(listed) == {e164(p) for p in (INVALID, DOWN, WINDOW_NO_TEMPLATE, STALL)}
    down = listed[e164(DOWN)]
    imitation.recovered = True
    _, retry = await shop.call("POST", f"/api/messages/{down['command_id']}/retry", {}, 202)
    assert retry == {
        "command_id": f"{down['command_id']}-r1",
        "retry_of": down["command_id"],
        "phone": e164(DOWN),
    }
    first, again = await shop.messages(DOWN, count=2)
    assert (again["command_id"], again["retry_of"], again["status"]) == (
        retry["command_id"],
        down["command_id"],
        "sent",
    )
    assert first["status"] == "failed"
    _, failed = await shop.call("GET", "/api/messages/failed", expect=200)
    assert e164(DOWN) not in {item["phone"] for item in failed["items"]}

    # Another account: none of these messages are its own.
    other = Account(session, server)
    await other.create("Outra", cloud_channel(provider.base, "222"))
    status, _ = await other.call("POST", f"/api/messages/{down['command_id']}/retry", {})
    assert status == 404
    _, theirs = await other.call("GET", "/api/messages/failed", expect=200)
    assert theirs["items"] == []

    # Refused credentials: asked once (by each worker), then every send fails at once
    # until the channel changes; the channel shows it.
    imitation.token_ok["222"] = False
    for n, national in enumerate(("11920000001", "11920000002", "11920000003")):
        await other.webhook(100 + n, national)
        (message,) = await other.messages(national)
        assert (message["status"], message["reason"]) == ("failed", "auth")
    # Remembered per worker process (actions/sending.py): hookline dev runs two.
    refused = imitation.calls("222")
    assert 1 <= refused <= Settings().dev_workers
    _, channel = await other.call("GET", "/api/account/channel", expect=200)
    assert channel["stopped"] is True and channel["last_error"]["reason"] == "auth"
    assert "EAAG" not in json.dumps(channel) and channel["credentials_set"] == ["access_token"]
    imitation.token_ok["222"] = True
    await other.call("PUT", "/api/account/channel", cloud_channel(provider.base, "222"), 200)
    await asyncio.sleep(2)  # the worker's config view follows the change
    await other.webhook(200, "11920000004")
    (message,) = await other.messages("11920000004")
    assert message["status"] == "sent" and imitation.calls("222") == refused + 1
    _, channel = await other.call("GET", "/api/account/channel", expect=200)
    assert channel["stopped"] is False and channel["last_error"] is None

    # Counted at the imitation: no command was taken twice, the stalled one (no answer:
    # it may have been delivered) was never asked again, and 503/429 were asked again.
    taken = imitation.taken()
    assert max(taken.values()) == 1, taken
    asked = Counter(command for _, command, _ in imitation.answered)
    assert asked[outcome[STALL]["command_id"]] == 1
    assert asked[outcome[LIMITED]["command_id"]] == 2
    assert asked[outcome[DOWN]["command_id"]] >= 2
    assert asked[outcome[INVALID]["command_id"]] == 1
