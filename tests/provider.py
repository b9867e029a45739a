"""A real HTTP server standing in for a message provider (the generic HTTP
channel's far end). It keeps every call it gets, not a deduplicated view: the
fault tests count channel calls per command id with it."""

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


#: Decides the answer to the n-th call (0-based) carrying a body.
Answer = Callable[[ProviderCall, int], Awaitable[web.StreamResponse]]


async def accept(call: ProviderCall, n: int) -> web.StreamResponse:
    return web.json_response({"id": f"msg-{n}"})


class ProviderStandIn:
    def __init__(self, answer: Answer = accept) -> None:
        self.answer = answer
        self.calls: list[ProviderCall] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        call = ProviderCall(
            request.headers.get("Idempotency-Key", ""),
            json.loads(await request.read()),
            dict(request.headers),
        )
        self.calls.append(call)
        return await self.answer(call, len(self.calls) - 1)

    def per_command(self) -> Counter[str]:
        return Counter(call.idempotency_key for call in self.calls)

    async def __aenter__(self) -> ProviderStandIn:
        app = web.Application()
        app.router.add_post("/messages", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
