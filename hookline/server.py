"""The aiohttp application: gateway routes, API routes or both (one front port
in embedded mode; separate processes in production), with the middleware
every route shares: request id, access log, JSON errors."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from aiohttp import web

from hookline.health import add_health_routes
from hookline.runtime import RUNTIME, Runtime, runtime_context
from hookline.settings import Settings

log = logging.getLogger("hookline.http")

#: The request id: in the ``X-Request-Id`` answer header, every log line about the
#: request and, for webhooks, the envelope (``request_id``).
REQUEST_ID = web.RequestKey("request_id", str)
#: Fields a handler adds to the request's one access log line (e.g. the integration id).
LOG_FIELDS = web.RequestKey("log_fields", dict)


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    request_id = uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        if exc.status >= 400 and exc.content_type != "application/json":
            response = web.json_response({"ok": False, "error": exc.reason}, status=exc.status)
    except Exception:
        log.exception("unhandled error", extra={"request_id": request_id, "path": request.path})
        response = web.json_response(
            {"ok": False, "error": "internal error", "request_id": request_id}, status=500
        )
    response.headers["X-Request-Id"] = request_id
    log.info(
        "http request",
        extra={
            "request_id": request_id,
            "method": request.method,
            # The token in /hooks/{token} is a credential: log the route, not the path.
            "route": request.match_info.route.resource.canonical
            if request.match_info.route.resource
            else request.path,
            "status": response.status,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            **request.get(LOG_FIELDS, {}),
        },
    )
    return response


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
    app.cleanup_ctx.append(runtime_context(runtime))
    add_health_routes(app, runtime.health)  # /livez, /healthz, /readyz on every process
    if gateway:
        from ingest.routes import add_routes

        add_routes(app)
    if api:
        from hookline.api.app import add_api_routes

        add_api_routes(app)
        if not gateway:
            from hookline.metrics import metrics_handler

            app.router.add_get("/metrics", metrics_handler)
    return app
