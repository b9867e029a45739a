"""Each real channel against a local HTTP server imitating its provider (answers in
the providers' documented shapes: tests/provider.py), through the send path the
executor uses (actions/sending.py): what is sent, how each answer is classified, when
it is asked again (only when the provider proves it did not take the message, same
key, Retry-After honoured), the template fallback, giving up, and no answer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel

from actions.channels import Delivery, channel_for
from actions.sending import Sender
from hookline.embedded.broker import free_port
from schemas.actions import Outgoing, WhatsAppTemplate
from schemas.channels import (
    EvolutionSettings,
    GenericHttpSettings,
    WhatsAppCloudSettings,
    ZApiSettings,
)
from schemas.commands import ActionCommand
from schemas.leads import LeadState
from tests.provider import (
    ProviderCall,
    ProviderStandIn,
    cloud_error,
    cloud_sent,
    evolution_error,
    evolution_sent,
    zapi_sent,
)

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
Respond = Callable[[ProviderCall, int], web.StreamResponse]


def settings_for(kind: str, base: str, **extra) -> BaseModel:
    """Each real channel type, pointed at the imitation server."""
    common = {"recipient_gap_seconds": 0, "messages_per_second": 1000, **extra}
    match kind:
        case "generic_http":
            headers = {"Authorization": "Bearer k"}
            return GenericHttpSettings(
                type="generic_http", url=f"{base}/messages", headers=headers, **common
            )
        case "whatsapp_cloud":
            return WhatsAppCloudSettings(
                type="whatsapp_cloud",
                base_url=base,
                phone_number_id="106540352242922",
                access_token="EAAG-token",
                **common,
            )
        case "evolution":
            return EvolutionSettings(
                type="evolution", base_url=base, instance="loja", api_key="evo-key", **common
            )
        case "zapi":
            return ZApiSettings(
                type="zapi",
                base_url=base,
                instance_id="3C67AB64",
                instance_token="F0T0K3N",
                client_token="client-sec",
                **common,
            )
    raise AssertionError(kind)


#: Each channel's documented success answer.
SENT: dict[str, Respond] = {
    "generic_http": lambda call, n: web.json_response({"id": f"msg-{n}"}),
    "whatsapp_cloud": cloud_sent,
    "evolution": evolution_sent,
    "zapi": zapi_sent,
}
KINDS = list(SENT)


def answering(*responses: Respond | None, then: Respond) -> Callable:
    """Answers the n-th call with ``responses[n]`` (None: ``then``), later calls ``then``."""

    async def answer(call: ProviderCall, n: int) -> web.StreamResponse:
        respond = responses[n] if n < len(responses) and responses[n] else then
        return respond(call, n)

    return answer


async def deliver(
    kind: str,
    provider: ProviderStandIn,
    outgoing: Outgoing = MESSAGE,
    give_up: float = 10.0,
    **extra,
) -> Delivery:
    async with aiohttp.ClientSession() as session:
        channel = channel_for(settings_for(kind, provider.base, **extra), session)
        return await Sender(give_up, backoff_initial=0.1).deliver(channel, COMMAND, outgoing, LEAD)


async def test_generic_http_posts_the_fixed_shape_with_the_key_and_headers() -> None:
    async with ProviderStandIn() as provider:
        delivery = await deliver("generic_http", provider)
    assert delivery.verdict == "sent" and delivery.provider_message_id == "msg-0"
    (call,) = provider.calls
    assert call.idempotency_key == "c0ffee" and call.headers["Authorization"] == "Bearer k"
    assert call.body == {
        "command_id": "c0ffee",
        "phone": "+5511988887777",
        "type": "text",
        "content": "Oi Ana",
        "lead": {"name": "Ana", "tags": ["vip"], "fields": {}},
    }


async def test_whatsapp_cloud_request() -> None:
    async with ProviderStandIn(answering(then=cloud_sent)) as provider:
        delivery = await deliver("whatsapp_cloud", provider)
    assert (delivery.verdict, delivery.provider_message_id) == ("sent", "wamid.0")
    (call,) = provider.calls
    assert call.path == "/v23.0/106540352242922/messages"
    assert call.headers["Authorization"] == "Bearer EAAG-token"
    assert call.body["to"] == "5511988887777" and call.body["text"]["body"] == "Oi Ana"
    assert call.body["biz_opaque_callback_data"] == "c0ffee"


async def test_evolution_request() -> None:
    async with ProviderStandIn(answering(then=evolution_sent)) as provider:
        delivery = await deliver("evolution", provider)
        buttons = await deliver("evolution", provider, Outgoing("quick_reply", "E aí?", ("Sim",)))
    assert (delivery.verdict, delivery.provider_message_id) == ("sent", "BAE500000000")
    assert buttons.verdict == "sent"
    text, button = provider.calls
    assert text.path == "/message/sendText/loja" and text.headers["apikey"] == "evo-key"
    assert text.body == {"number": "5511988887777", "text": "Oi Ana"}
    assert button.path == "/message/sendButtons/loja"


async def test_zapi_request() -> None:
    async with ProviderStandIn(answering(then=zapi_sent)) as provider:
        delivery = await deliver("zapi", provider)
    assert (delivery.verdict, delivery.provider_message_id) == ("sent", "M0")
    (call,) = provider.calls
    assert call.path == "/instances/3C67AB64/token/F0T0K3N/send-text"
    assert call.headers["Client-Token"] == "client-sec"
    assert call.body == {"phone": "5511988887777", "message": "Oi Ana"}


@pytest.mark.parametrize("kind", KINDS)
async def test_failing_then_recovering_is_asked_again_with_the_same_key(kind: str) -> None:
    def failing(call: ProviderCall, n: int) -> web.Response:
        return web.json_response({"error": "down"}, status=503)

    async with ProviderStandIn(answering(failing, failing, then=SENT[kind])) as provider:
        delivery = await deliver(kind, provider)
    assert delivery.verdict == "sent"
    assert provider.per_command() == {provider.calls[0].command_id: 3}
    assert len({str(c.body) for c in provider.calls}) == 1, "the same request each time"


@pytest.mark.parametrize("kind", KINDS)
async def test_429_with_retry_after_is_honoured(kind: str) -> None:
    def limited(call: ProviderCall, n: int) -> web.Response:
        return web.json_response({}, status=429, headers={"Retry-After": "1"})

    async with ProviderStandIn(answering(limited, then=SENT[kind])) as provider:
        started = time.monotonic()
        delivery = await deliver(kind, provider)
    assert delivery.verdict == "sent" and len(provider.calls) == 2
    assert time.monotonic() - started >= 1.0


async def test_cloud_rate_limit_codes_are_asked_again() -> None:
    pair = lambda call, n: cloud_error(131056, 400, "pair rate limit hit")  # noqa: E731
    throughput = lambda call, n: cloud_error(130429, 400, "Rate limit hit")  # noqa: E731
    async with ProviderStandIn(answering(pair, throughput, then=cloud_sent)) as provider:
        delivery = await deliver("whatsapp_cloud", provider)
    assert delivery.verdict == "sent" and len(provider.calls) == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_stalling_is_unknown_and_never_asked_again(kind: str) -> None:
    async def stall(call: ProviderCall, n: int) -> web.StreamResponse:
        await asyncio.sleep(3)
        return SENT[kind](call, n)

    async with ProviderStandIn(stall) as provider:
        delivery = await deliver(kind, provider, timeout_seconds=0.3)
    assert delivery.verdict == "unknown" and delivery.status == "unknown"
    assert len(provider.calls) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_it_gives_up_with_the_last_reason(kind: str) -> None:
    def down(call: ProviderCall, n: int) -> web.Response:
        return web.json_response({"error": "down"}, status=500)

    async with ProviderStandIn(answering(then=down)) as provider:
        delivery = await deliver(kind, provider, give_up=1.5)
    assert delivery.status == "failed" and delivery.verdict == "retryable"
    assert delivery.detail.startswith(f"gave up after {len(provider.calls)} attempts")
    assert 3 <= len(provider.calls) <= 8


async def test_nobody_listening_is_asked_again_then_given_up() -> None:
    settings = settings_for("generic_http", f"http://127.0.0.1:{free_port()}")
    async with aiohttp.ClientSession() as session:
        sender = Sender(1.0, backoff_initial=0.1)
        delivery = await sender.deliver(channel_for(settings, session), COMMAND, MESSAGE, LEAD)
    assert delivery.verdict == "retryable" and "cannot connect" in delivery.detail


async def test_cloud_window_closed_sends_the_fallback_template() -> None:
    closed = lambda call, n: cloud_error(131047, 400, "Re-engagement message")  # noqa: E731
    outgoing = Outgoing("text", "Oi Ana", fallback=WhatsAppTemplate("retomar", "pt_BR", ("Ana",)))
    async with ProviderStandIn(answering(closed, then=cloud_sent)) as provider:
        delivery = await deliver("whatsapp_cloud", provider, outgoing)
    assert delivery.verdict == "sent" and delivery.provider_message_id == "wamid.1"
    assert "window closed; template 'retomar'" in delivery.detail
    text, template = (call.body for call in provider.calls)
    assert text["type"] == "text" and template["type"] == "template"
    assert template["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Ana"}]
    assert template["biz_opaque_callback_data"] == "c0ffee"

    async with ProviderStandIn(answering(then=closed)) as provider:
        delivery = await deliver("whatsapp_cloud", provider)
    assert delivery.verdict == "window_closed" and len(provider.calls) == 1


@pytest.mark.parametrize(
    ("kind", "respond", "verdict"),
    [
        (
            "whatsapp_cloud",
            lambda c, n: cloud_error(131026, 400, "undeliverable"),
            "invalid_recipient",
        ),
        ("whatsapp_cloud", lambda c, n: cloud_error(190, 401, "token expired"), "auth"),
        ("whatsapp_cloud", lambda c, n: cloud_error(100, 400, "Invalid parameter"), "fatal"),
        (
            "evolution",
            lambda c, n: evolution_error(400, "Bad Request", [{"exists": False, "jid": "x"}]),
            "invalid_recipient",
        ),
        ("evolution", lambda c, n: evolution_error(401, "Unauthorized", "Unauthorized"), "auth"),
        (
            "zapi",
            lambda c, n: web.json_response({"error": "Client-Token not allowed"}, status=400),
            "auth",
        ),
        ("generic_http", lambda c, n: web.json_response({}, status=401), "auth"),
        ("generic_http", lambda c, n: web.json_response({}, status=422), "fatal"),
    ],
)
async def test_final_refusals_are_asked_once(kind: str, respond: Respond, verdict: str) -> None:
    async with ProviderStandIn(answering(then=respond)) as provider:
        delivery = await deliver(kind, provider)
    assert delivery.verdict == verdict and delivery.status == "failed"
    assert len(provider.calls) == 1


class Arrivals:
    """A provider answering at once that notes when each call arrived."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def __call__(self, call: ProviderCall, n: int) -> web.StreamResponse:
        self.times.append(time.monotonic())
        return web.json_response({"id": f"m-{n}"})


async def test_an_accounts_rate_holds_across_leads_sent_at_once() -> None:
    """What the executor does for the leads it runs at once (64): one Sender, one pacing
    schedule per account, before each channel call."""
    arrivals = Arrivals()
    async with ProviderStandIn(arrivals) as provider, aiohttp.ClientSession() as session:
        settings = settings_for("generic_http", provider.base, messages_per_second=5)
        channel = channel_for(settings, session)
        sender = Sender(10)

        async def lead(n: int) -> Delivery:
            command = COMMAND.model_copy(
                update={"command_id": f"c-{n}", "phone": f"+551190000{n:04d}"}
            )
            await sender.pace(command.account_id, command.phone, settings)
            return await sender.deliver(channel, command, MESSAGE, LEAD)

        deliveries = await asyncio.gather(*(lead(n) for n in range(15)))
    arrived = sorted(arrivals.times)
    assert all(d.verdict == "sent" for d in deliveries) and len(arrived) == 15
    # A burst of one second's worth, then 5 a second: the 15th two seconds after the first.
    assert arrived[-1] - arrived[0] >= 1.9
    assert sum(1 for t in arrived if t - arrived[0] < 1.0) <= 10


async def test_one_phone_gets_its_messages_a_gap_apart() -> None:
    arrivals = Arrivals()
    async with ProviderStandIn(arrivals) as provider, aiohttp.ClientSession() as session:
        settings = settings_for("generic_http", provider.base, recipient_gap_seconds=0.5)
        channel = channel_for(settings, session)
        sender = Sender(10)
        for n in range(3):  # one lead's commands run one after the other
            await sender.pace(COMMAND.account_id, COMMAND.phone, settings)
            command = COMMAND.model_copy(update={"command_id": f"c{n}"})
            await sender.deliver(channel, command, MESSAGE, LEAD)
    gaps = [b - a for a, b in itertools.pairwise(arrivals.times)]
    assert len(arrivals.times) == 3 and all(gap >= 0.45 for gap in gaps), gaps
