"""Who is calling: the admin (``POST``/``PATCH /api/accounts``) or an account,
both by ``Authorization: Bearer <token>``.

The admin token is compared in constant time; an API key is looked up by its
sha256 (:meth:`ConfigState.account_by_api_key`), so it never sits in memory in
clear. Failures are 401 with ``WWW-Authenticate`` and say which credential is
expected, never whether an account exists."""

from __future__ import annotations

import hmac
from typing import Literal

from aiohttp import web

from hookline.api.call import ApiError
from hookline.runtime import Runtime
from schemas.config import Account

Auth = Literal["admin", "api_key", "none"]
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hookline"'}


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_admin(request: web.Request, runtime: Runtime) -> None:
    expected = runtime.settings.admin_token
    if expected is None or not expected.get_secret_value():
        raise ApiError(503, "admin token not configured (HOOKLINE_ADMIN_TOKEN)")
    token = bearer_token(request)
    if token is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        raise ApiError(
            401,
            "invalid or missing admin token (Authorization: Bearer <admin token>)",
            headers=_CHALLENGE,
        )


def require_account(request: web.Request, runtime: Runtime) -> Account:
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "missing API key (Authorization: Bearer <api key>)", headers=_CHALLENGE)
    account = runtime.view.state.account_by_api_key(token)
    if account is None:
        raise ApiError(401, "invalid API key", headers=_CHALLENGE)
    return account


def authenticate(auth: Auth, request: web.Request, runtime: Runtime) -> Account | None:
    """The calling account for ``api_key`` routes, None for the others (or ApiError)."""
    if auth == "admin":
        require_admin(request, runtime)
        return None
    if auth == "api_key":
        return require_account(request, runtime)
    return None
