"""The aiohttp application: gateway routes, API routes or both (one front port
in embedded mode; separate processes in production), with the middleware
every route shares: request id, access log, JSON errors (``core/http.py``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from core.http import ACCESS_LOG, DRAINING, request_context
from core.listen import refuse_new_connections
from core.settings import Settings
from hookline.health import add_health_routes
from hookline.runtime import RUNTIME, Runtime, runtime_context


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of every HTTP server hookline starts (``web.run_app`` and
    ``web.AppRunner`` take the same ones).

    The header timeout is aiohttp's keep-alive timer: aiohttp (3.14,
    ``RequestHandler.connection_made``) arms it when a connection opens and again after
    each answer, and closes the connection if no complete request line and headers have
    arrived by then. aiohttp has no separate header-read timeout, and the defaults
    (3630 s for ``AppRunner``, 75 s for ``run_app``) let a client that never finishes its
    headers hold a connection for that long."""
    return {
        "keepalive_timeout": settings.header_timeout_seconds,
        # Per-request lines come from our middleware, with the request id.
        "access_log": None,
        "shutdown_timeout": settings.shutdown_timeout_seconds,
    }


def build_http_app(runtime: Runtime, *, gateway: bool = True, api: bool = True) -> web.Application:
    app = web.Application(
        middlewares=[request_context],
        client_max_size=runtime.settings.max_body_bytes,
        # The gateway undoes Content-Encoding itself, under its size cap (ingest/encoding.py).
        handler_args={"auto_decompress": False} if gateway else None,
    )
    app[RUNTIME] = runtime
    app[ACCESS_LOG] = runtime.settings.access_log
    app[DRAINING] = asyncio.Event()
    app.cleanup_ctx.append(runtime_context(runtime))
    add_health_routes(app, runtime.health)  # /livez, /healthz, /readyz on every process
    if gateway:
        from ingest.routes import add_routes
        from ingest.state import Gateway

        # The gateway serves with the runtime's clients (ingest/ knows no Runtime).
        clients = (runtime.settings, runtime.view, runtime.producer, runtime.journal)
        add_routes(app, Gateway.create(*clients))
    if api:
        from hookline.api.app import add_api_routes
        from hookline.console import add_console_routes

        add_api_routes(app)
        add_console_routes(app)  # the console at /, on the management API's routes
        if not gateway:
            from core.metrics import metrics_handler

            app.router.add_get("/metrics", metrics_handler)
    return app


async def stop_serving(
    runner: web.AppRunner, closing: Sequence[socket.socket] = (), settle_seconds: float = 0.2
) -> None:
    """Stop accepting connections, give those just accepted ``settle_seconds`` for their
    request to arrive and be answered (closing its connection: the app is draining),
    then stop the server. aiohttp closes at once a connection with no request yet, and
    a platform writing one down it then sees an error (about eight a ``hookline dev``
    recycle, in ``test_broker_recycle``).

    ``closing``: the listening sockets, when they close after this (the caller's). New
    connections to them are refused from the start, and the server first accepts and
    answers those the kernel had queued, which closing the socket would reset
    (``core/listen.py``). Sockets that stay open (``hookline dev``'s, through a
    recycle: ``listener.py``) are not passed: new connections wait in their queue."""
    runner.app[DRAINING].set()  # if the caller's drain has not begun already
    if closing and refuse_new_connections(list(closing)):
        await asyncio.sleep(settle_seconds)  # the server accepts what was queued
    for site in list(runner.sites):
        await site.stop()
    await asyncio.sleep(settle_seconds)
    await runner.cleanup()
