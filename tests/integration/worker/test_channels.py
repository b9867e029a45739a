"""The generic HTTP channel against a real HTTP server: what it sends, how each
answer is classified, and when it asks again (only when the answer proves the
message was not taken)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from actions.channels import GenericHttpChannel
from hookline.embedded.broker import free_port
from schemas.actions import Outgoing
from schemas.commands import ActionCommand
from schemas.leads import LeadState
from tests.provider import ProviderCall, ProviderStandIn

COMMAND = ActionCommand(
    command_id="c0ffee",
    account_id="acc_1",
    integration_id="int_1",
    request_id="r1",
    event_id="conversion_1",
    action_id="action_1",
    type="send_message",
    phone="+5511988887777",
    lead_name="Ana",
    params={"text": "Oi Ana"},
)
LEAD = LeadState(account_id="acc_1", phone="+5511988887777", name="Ana", tags=["vip"])
MESSAGE = Outgoing("text", "Oi Ana")


async def _send(url: str, timeout: float = 5.0):
    async with aiohttp.ClientSession() as session:
        channel = GenericHttpChannel(session, url, {"Authorization": "Bearer k"}, timeout)
        return await channel.send(COMMAND, MESSAGE, LEAD)


async def test_a_2xx_is_sent_with_the_body_key_and_headers() -> None:
    async with ProviderStandIn() as provider:
        delivery = await _send(provider.url)
    assert delivery.status == "sent" and delivery.provider_message_id == "msg-0"
    (call,) = provider.calls
    assert call.idempotency_key == "c0ffee" and call.headers["Authorization"] == "Bearer k"
    assert call.body == {
        "command_id": "c0ffee",
        "phone": "+5511988887777",
        "type": "text",
        "content": "Oi Ana",
        "lead": {"name": "Ana", "tags": ["vip"], "fields": {}},
    }


@pytest.mark.parametrize("status", [429, 503])
async def test_not_taken_is_asked_again_with_the_same_key(status: int) -> None:
    async def busy_once(call: ProviderCall, n: int) -> web.StreamResponse:
        if n == 0:
            return web.json_response({}, status=status, headers={"Retry-After": "0"})
        return web.json_response({"message_id": "m-2"})

    async with ProviderStandIn(busy_once) as provider:
        delivery = await _send(provider.url)
    assert delivery.status == "sent" and delivery.provider_message_id == "m-2"
    assert provider.per_command() == {"c0ffee": 2}


@pytest.mark.parametrize("status", [400, 401, 500])
async def test_a_refusal_fails_at_once(status: int) -> None:
    async def refuse(call: ProviderCall, n: int) -> web.StreamResponse:
        return web.json_response({"error": "no"}, status=status)

    async with ProviderStandIn(refuse) as provider:
        delivery = await _send(provider.url)
    assert delivery.status == "failed" and delivery.detail.startswith(f"HTTP {status}")
    assert len(provider.calls) == 1


async def test_no_answer_is_unknown_and_never_asked_again() -> None:
    async def hang(call: ProviderCall, n: int) -> web.StreamResponse:
        await asyncio.sleep(5)
        return web.json_response({})

    async with ProviderStandIn(hang) as provider:
        delivery = await _send(provider.url, timeout=0.3)
    assert delivery.status == "unknown" and len(provider.calls) == 1


async def test_nobody_listening_fails_after_a_few_tries() -> None:
    delivery = await _send(f"http://127.0.0.1:{free_port()}/messages")
    assert delivery.status == "failed" and "cannot connect" in delivery.detail
