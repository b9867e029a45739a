"""HTTP routes of the gateway: ``/hooks/{token}``, ``/healthz``, ``/readyz``, ``/metrics``.

A 2xx answer is sent only after the envelope is in Kafka with acks=all; when
that cannot be done the answer is 503 so the platform retries."""

from __future__ import annotations

import logging

from aiohttp import web

from hookline import metrics
from hookline.runtime import RUNTIME, Runtime
from ingest.envelope import build_envelope
from ingest.publish import BrokerUnavailable, publish

log = logging.getLogger(__name__)


def error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"ok": False, "error": message, **extra}, status=status)


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (checked while reading)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_webhook(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME]
    if not runtime.ready:
        return error(503, "starting up, retry shortly", retry_after=1)
    state = runtime.view.state
    integration = state.integration_by_token(request.match_info["token"])
    if integration is None:
        metrics.WEBHOOK_REQUESTS.labels("unknown", "404").inc()
        return error(404, "unknown webhook URL")
    label = integration.id
    account = state.account(integration.account_id)
    if account is None or not account.plan.allows_webhooks:
        metrics.WEBHOOK_REQUESTS.labels(label, "403").inc()
        plan = account.plan if account else "none"
        return error(
            403,
            f"the account's plan ({plan}) does not include webhooks; upgrade to Business or Elite",
        )
    if not integration.enabled:
        metrics.WEBHOOK_REQUESTS.labels(label, "403").inc()
        return error(403, "this integration is disabled")

    limit = runtime.settings.max_body_bytes
    body = await read_body(request, limit)
    if body is None:
        metrics.WEBHOOK_REQUESTS.labels(label, "413").inc()
        return error(413, f"body larger than {limit} bytes", limit=limit)
    metrics.WEBHOOK_BODY_BYTES.observe(len(body))

    envelope = build_envelope(
        integration,
        method=request.method,
        content_type=request.headers.get("Content-Type"),
        headers=request.headers,
        query=request.query.items(),
        body=body,
    )
    try:
        await publish(runtime.producer, envelope)
    except BrokerUnavailable as exc:
        metrics.WEBHOOK_REQUESTS.labels(label, "503").inc()
        log.error(
            "webhook not accepted: broker unavailable",
            extra={"request_id": envelope.request_id, "integration_id": label, "error": str(exc)},
        )
        return error(
            503, "temporarily unable to accept webhooks, retry later", id=envelope.request_id
        )
    metrics.WEBHOOK_REQUESTS.labels(label, "200").inc()
    log.info(
        "webhook accepted",
        extra={"request_id": envelope.request_id, "integration_id": label, "bytes": len(body)},
    )
    return web.json_response({"ok": True, "id": envelope.request_id})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    runtime: Runtime = request.app[RUNTIME]
    if runtime.ready:
        return web.json_response({"ok": True})
    return error(503, "config not loaded yet")


def add_routes(app: web.Application) -> None:
    app.router.add_route("POST", "/hooks/{token}", receive_webhook)
    app.router.add_route("PUT", "/hooks/{token}", receive_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics.metrics_handler)
