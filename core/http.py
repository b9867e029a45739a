"""What every HTTP route shares, whichever process serves it (gateway, API, both): the
request id, the access-log line of a request and JSON errors (:func:`request_context`,
installed by ``hookline/server.py``), and the request keys handlers use with them."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from aiohttp import web

log = logging.getLogger("hookline.http")

#: The request id: in the ``X-Request-Id`` answer header, every log line about the
#: request and, for webhooks, the envelope (``request_id``).
REQUEST_ID = web.RequestKey("request_id", str)
#: Fields a handler adds to the request's one access log line (e.g. the integration id).
LOG_FIELDS = web.RequestKey("log_fields", dict)
#: Which requests get an access line: ``all``, ``errors`` (status >= 400) or ``off``
#: (``HOOKLINE_ACCESS_LOG``; set on the app by ``hookline/server.py``).
ACCESS_LOG = web.AppKey("access_log", str)
#: Set when the server is about to stop: each answer from then on closes its connection
#: (``Connection: close``), so a client does not send its next request down a
#: keep-alive connection the server is closing (a POST it cannot safely send again).
DRAINING = web.AppKey("draining", asyncio.Event)
#: The lowest status logged, by mode.
_LOGGED_FROM = {"all": 0, "errors": 400, "off": 1000}


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    request_id = secrets.token_hex(16)  # as unguessable as a uuid4, cheaper to make
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
    if request.app[DRAINING].is_set():
        response.force_close()
    if response.status < _LOGGED_FROM[request.app.get(ACCESS_LOG, "all")]:
        return response
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
