"""The console acts through the management API's own handlers: each action names an
API route of :data:`hookline.api.routes.ROUTES` by method and path, and runs its
handler with the API's validation and per-account write lock. The signed-in session
stands in for the ``Authorization`` header; nothing else differs from ``/api``, so no
business rule is written twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hookline.api.app import WRITE_LOCKS, validate
from hookline.api.call import ApiError, Call
from hookline.api.routes import ROUTES, Route
from hookline.runtime import RUNTIME
from schemas.config import Account

_BY_KEY: dict[tuple[str, str], Route] = {(r.method, r.path): r for r in ROUTES}


def api_route(method: str, path: str) -> Route:
    """The API route the console calls (KeyError names it when the table lacks it)."""
    try:
        return _BY_KEY[(method, path)]
    except KeyError:
        raise KeyError(f"no API route {method} {path}") from None


def has_route(method: str, path: str) -> bool:
    return (method, path) in _BY_KEY


@dataclass(frozen=True)
class ConsoleCall(Call):
    """A :class:`Call` whose path parameters come from the console, not from the URL."""

    params: dict[str, str] = field(default_factory=dict)

    def path(self, name: str) -> str:
        return self.params[name]


async def invoke(
    request: web.Request,
    account: Account | None,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    **params: str,
) -> Any:
    """Run one API route as ``account`` (None: as the admin); ApiError as the API would
    answer it."""
    route = api_route(method, path)
    runtime = request.app[RUNTIME]
    if not runtime.ready:
        raise ApiError(503, "starting up, retry shortly")
    if route.history and runtime.clickhouse is None:
        raise ApiError(503, "history is not available in this process")
    parsed_query = validate(route.query, query or {}, "query") if route.query else None
    parsed_body: BaseModel | None = None
    if route.body is not None:
        parsed_body = validate(route.body, {} if body is None else body, "request body")
    call = ConsoleCall(request, runtime, account, parsed_body, parsed_query, params=params)
    if route.method == "GET":
        return await route.handler(call)
    async with request.app[WRITE_LOCKS][account.id if account else "admin"]:
        return await route.handler(call)
