"""The gateway's answers: JSON errors, and accepted requests in hookline's JSON or in
the integration's custom response."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ingest.refusal import Refused
from schemas.config import Integration


def refusal(refused: Refused) -> web.Response:
    return web.json_response(
        {"ok": False, "error": refused.reason, **refused.extra},
        status=refused.status,
        headers=refused.headers,
    )


def accepted(integration: Integration, payload: dict[str, Any]) -> web.Response:
    """``payload`` as JSON, unless the integration configured what to answer."""
    custom = integration.response
    if custom is None:
        return web.json_response(payload)
    return web.Response(
        body=custom.body.encode() if custom.body else None,
        status=custom.status,
        headers={"Content-Type": custom.content_type},
    )


def status_page(integration: Integration, accepting: bool, reason: str | None) -> web.Response:
    """What ``GET /hooks/{token}`` shows: enough to check the URL, no secrets."""
    body: dict[str, Any] = {
        "ok": True,
        "integration": integration.name,
        "platform": integration.platform,
        "accepting": accepting,
    }
    if reason:
        body["reason"] = reason
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/json")
