"""A real HTTP server standing in for a message provider: the generic HTTP channel's
far end, or an imitation of the WhatsApp Cloud API, Evolution API or Z-API (every
POST, any path, answered by a function of the test's choosing). It keeps every call
it gets, not a deduplicated view: the tests count channel calls per command with it.

The answers below are the providers' documented shapes (see each channel module's
docstring for the sources)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from hookline.embedded.broker import free_port


@dataclass(frozen=True)
class ProviderCall:
    idempotency_key: str
    body: dict
    headers: dict[str, str]
    path: str = "/messages"

    @property
    def command_id(self) -> str:
        """The command id, where the provider is handed one (generic: the header; Cloud
        API: ``biz_opaque_callback_data``); else the recipient and text, which the tests
        make unique per command."""
        if self.idempotency_key:
            return self.idempotency_key
        if "biz_opaque_callback_data" in self.body:
            return self.body["biz_opaque_callback_data"]
        phone = self.body.get("number") or self.body.get("phone") or self.body.get("to")
        return f"{phone}:{self.body.get('text') or self.body.get('message')}"

    @property
    def phone(self) -> str:
        """The recipient, digits only."""
        raw = self.body.get("phone") or self.body.get("number") or self.body.get("to") or ""
        return str(raw).removeprefix("+")


#: Decides the answer to the n-th call (0-based) carrying a body.
Answer = Callable[[ProviderCall, int], Awaitable[web.StreamResponse]]


async def accept(call: ProviderCall, n: int) -> web.StreamResponse:
    return web.json_response({"id": f"msg-{n}"})


# -- the providers' own answers -------------------------------------------------------
def cloud_sent(call: ProviderCall, n: int) -> web.Response:
    """Cloud API: 200 with the wamid (messages reference)."""
    to = call.body.get("to", "")
    return web.json_response(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.{n}"}],
        }
    )


def cloud_error(code: int, status: int = 400, title: str = "error") -> web.Response:
    """Cloud API: a Graph API error (support/error-codes)."""
    body = {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": title},
            "fbtrace_id": "AbCdEf",
        }
    }
    return web.json_response(body, status=status)


def evolution_sent(call: ProviderCall, n: int) -> web.Response:
    """Evolution v2: 201 with the Baileys message."""
    jid = f"{call.body.get('number')}@s.whatsapp.net"
    return web.json_response(
        {"key": {"remoteJid": jid, "fromMe": True, "id": f"BAE5{n:08X}"}, "status": "PENDING"},
        status=201,
    )


def evolution_error(status: int, error: str, message: object) -> web.Response:
    body = {"status": status, "error": error, "response": {"message": message}}
    return web.json_response(body, status=status)


def zapi_sent(call: ProviderCall, n: int) -> web.Response:
    """Z-API: 200 {zaapId, messageId, id} (send-message-text)."""
    return web.json_response({"zaapId": f"Z{n:031d}", "messageId": f"M{n}", "id": f"M{n}"})


class ProviderStandIn:
    def __init__(self, answer: Answer = accept) -> None:
        self.answer = answer
        self.calls: list[ProviderCall] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The generic HTTP channel's URL."""
        return f"{self.base}/messages"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        call = ProviderCall(
            request.headers.get("Idempotency-Key", ""),
            json.loads(await request.read()),
            dict(request.headers),
            request.path,
        )
        self.calls.append(call)
        return await self.answer(call, len(self.calls) - 1)

    def per_command(self) -> Counter[str]:
        return Counter(call.command_id for call in self.calls)

    async def __aenter__(self) -> ProviderStandIn:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
