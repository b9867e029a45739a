"""Registers the management API on an aiohttp app: the one-port dev server and
the standalone API process both call :func:`add_api_routes`.

Each route of :data:`hookline.api.routes.ROUTES` is wrapped the same way:
ready check, authentication, JSON body and query validation, the handler (for
writes, serialised per account so check-then-write rules such as "one send
action per event" hold inside a process), then the declared response model."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError
from clickhouse_connect.driver.exceptions import OperationalError as ClickHouseOperationalError
from pydantic import BaseModel, ValidationError

from hookline.api.auth import authenticate
from hookline.api.call import ApiError, Call
from hookline.api.openapi import ROUTE_TABLE
from hookline.api.routes import ROUTES, Route
from hookline.runtime import RUNTIME

log = logging.getLogger(__name__)

WRITE_LOCKS = web.AppKey("api_write_locks", defaultdict)


async def read_json(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, f"request body larger than {request.client_max_size} bytes") from exc
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "request body must be a JSON object")
    return data


def validate(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError.invalid(exc, where) from None


async def prepare(route: Route, request: web.Request) -> Call:
    runtime = request.app[RUNTIME]
    if route.auth != "none" and not runtime.ready:
        raise ApiError(503, "starting up, retry shortly")
    caller = authenticate(route.auth, request, runtime)
    if route.history and runtime.clickhouse is None:
        raise ApiError(503, "history is not available in this process")
    query = validate(route.query, dict(request.query), "query") if route.query else None
    body = validate(route.body, await read_json(request), "request body") if route.body else None
    return Call(request, runtime, caller, body, query)


def respond(route: Route, result: BaseModel | web.StreamResponse | None) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if result is None:
        return web.Response(status=route.status)
    if route.response is not None and not isinstance(result, route.response):
        raise TypeError(
            f"{route.handler.__name__} returned {type(result).__name__},"
            f" not the declared {route.response.__name__}"
        )
    return web.Response(
        text=result.model_dump_json(), status=route.status, content_type="application/json"
    )


def endpoint(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            call = await prepare(route, request)
            if route.method == "GET":
                return respond(route, await route.handler(call))
            owner = call.caller.id if call.caller else "admin"
            async with request.app[WRITE_LOCKS][owner]:
                return respond(route, await route.handler(call))
        except ApiError as exc:
            return exc.response()
        except (KafkaError, TimeoutError, ClickHouseOperationalError) as exc:
            log.error(
                "backing service unavailable", extra={"path": request.path, "error": repr(exc)}
            )
            return ApiError(503, "temporarily unavailable, retry shortly").response()
        except Exception:
            log.exception("management API error", extra={"path": request.path})
            return ApiError(500, "internal error").response()

    handle.__name__ = route.handler.__name__
    return handle


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Unknown paths and methods under /api answer in the API's error format too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        return ApiError(
            exc.status,
            exc.reason.lower(),
            headers={k: v for k, v in exc.headers.items() if k == "Allow"},
        ).response()


def add_api_routes(app: web.Application) -> None:
    """Register every route of the table under /api (the app must hold ``app[RUNTIME]``)."""
    app[ROUTE_TABLE] = ROUTES
    app[WRITE_LOCKS] = defaultdict(asyncio.Lock)
    app.middlewares.append(json_errors)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, endpoint(route))
