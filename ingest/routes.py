"""HTTP routes of the gateway: ``/hooks/{token}`` and ``/metrics`` (every HTTP process
also serves ``/livez``, ``/healthz`` and ``/readyz``: ``hookline/health.py``).

A webhook goes through the steps below in order; each one may refuse it (and
nothing is written to Kafka then). A 2xx answer is sent only once the envelope is
in Kafka with acks=all; when that cannot be done the answer is 503 so the
platform retries.

1. the URL token names an integration (404), whose account and state allow
   webhooks (403), and which is under its rate limit (429 + Retry-After);
2. the body is read under the size limit (413) and a deadline (408), and its
   Content-Encoding undone (400 corrupt, 413 decoded too large, 415 unsupported);
3. the integration's verifier passes it (401 with the reason);
4. a platform handshake is written as a ping; a delivery this process wrote
   recently, or is writing right now, is answered ``"duplicate": true``; anything
   else is written as an event.

Refusals of steps 2 and 3 are kept in the rejected-requests log (``ingest.rejected``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web
from pydantic import ValidationError

from core import metrics
from core.body import parsed_once
from core.http import LOG_FIELDS, REQUEST_ID
from ingest import answers
from ingest.body import BodyTooLarge, read_body
from ingest.dedup import delivery_key
from ingest.delivery import content_hash, delivery_id, delivery_source
from ingest.encoding import decode
from ingest.envelope import build_envelope, query_lists
from ingest.handshake import handshake
from ingest.partition import webhook_key
from ingest.publish import BrokerUnavailable, publish
from ingest.ratelimit import retry_after
from ingest.refusal import Refused
from ingest.rejected import record_rejection, rejected_record
from ingest.signing import signature_config, signature_headers, unverified_request
from ingest.state import GATEWAY, Gateway
from ingest.verify import SignatureRejected, VerifiedRequest, verify
from schemas.config import Integration

log = logging.getLogger(__name__)

#: Seconds a platform is asked to wait after a 503.
RETRY_AFTER_UNAVAILABLE = 5


def unavailable(reason: str, **extra: object) -> Refused:
    return Refused(503, reason, headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}, **extra)


def find_integration(gateway: Gateway, token: str) -> Integration:
    if not gateway.view.ready:
        raise unavailable("starting up, retry shortly")
    integration = gateway.view.state.integration_by_token(token)
    if integration is None:
        raise Refused(404, "unknown webhook URL")
    return integration


def refusal_reason(gateway: Gateway, integration: Integration) -> str | None:
    """Why this integration's webhooks are refused (403), or None when they are accepted."""
    account = gateway.view.state.account(integration.account_id)
    if account is None or not account.plan.allows_webhooks:
        plan = account.plan if account else "none"
        return (
            f"the account's plan ({plan}) does not include webhooks; upgrade to Business or Elite"
        )
    if not integration.enabled:
        return "this integration is disabled"
    return None


def check_rate(gateway: Gateway, integration: Integration) -> None:
    wait = gateway.limiter.take(integration.id, *gateway.rate_of(integration))
    if wait > 0:
        metrics.RATE_LIMITED.labels(integration.id).inc()
        raise Refused(
            429,
            "rate limit exceeded for this integration, retry later",
            headers={"Retry-After": retry_after(wait)},
            retry_after=int(retry_after(wait)),
        )


class Webhook:
    """One request to ``/hooks/{token}`` for a known integration, step by step."""

    def __init__(self, request: web.Request, gateway: Gateway, integration: Integration) -> None:
        self.request = request
        self.gateway = gateway
        self.integration = integration
        self.request_id = request.get(REQUEST_ID) or uuid.uuid4().hex
        self.received_at = gateway.clock()
        self.query = query_lists(request.query.items())
        self.secret_headers = signature_headers(integration)

    async def verified(self) -> VerifiedRequest:
        """Steps 2 and 3: the decoded body, checked by the integration's verifier."""
        limit = self.gateway.settings.max_body_bytes
        try:
            config = signature_config(self.integration)
        except ValidationError:
            # Written by a newer or older API than this gateway understands: keep the
            # webhook coming back (503) rather than accept it unchecked or refuse it for good.
            log.error("invalid signature settings", extra=self._ids())
            raise unavailable("this integration's signature settings are invalid") from None
        raw: bytes | None = None
        body: bytes | None = None
        try:
            raw = await read_body(self.request, limit, self.gateway.settings.body_timeout_seconds)
            metrics.WEBHOOK_BODY_BYTES.observe(len(raw))
            body = await decode(raw, self.request.headers.get("Content-Encoding"), limit)
            unverified = unverified_request(
                public_url=self.gateway.settings.public_url,
                raw_path=self.request.raw_path,
                method=self.request.method,
                headers=self.request.headers,
                query=self.query,
                body=body,
                received_at=self.received_at,
            )
            return verify(unverified, config)
        except BodyTooLarge as refused:
            await self._reject(refused, None, refused.received)
            raise
        except Refused as refused:
            await self._reject(refused, raw, len(raw or b""))
            raise
        except SignatureRejected as exc:
            scheme = exc.scheme or "none"
            metrics.SIGNATURE_REJECTIONS.labels(scheme).inc()
            refused = Refused(401, exc.reason, scheme=scheme)
            await self._reject(refused, body, len(raw or b""), scheme)
            raise refused from None

    async def accept(self) -> web.Response:
        verified = await self.verified()
        body = verified.request.body
        ping = handshake(body, self.query)
        if ping is not None:
            await self._write(verified, "ping", content_hash(body, self.query))
            metrics.HANDSHAKES.labels(self.integration.id, ping).inc()
            return answers.accepted(
                self.integration, {"ok": True, "ping": True, "id": self.request_id}
            )

        content_type = verified.request.headers.get("content-type")
        data = parsed_once(body, content_type)
        delivery = delivery_id(
            delivery_source(self.integration.platform),
            headers=verified.request.headers,
            query=self.query,
            body=body,
            content_type=content_type,
            data=data,
        )
        key = delivery_key(self.integration.id, delivery)
        # Held while writing: a copy of this delivery arriving meanwhile waits for the
        # outcome instead of writing it a second time.
        async with self.gateway.recent.claim(key) as first:
            if first is not None:
                metrics.DUPLICATES.labels(self.integration.id).inc()
                self.request[LOG_FIELDS] = {**self._ids(), "duplicate_of": first}
                answer = {"ok": True, "duplicate": True, "id": first}
                return answers.accepted(self.integration, answer)
            await self._write(verified, "event", delivery, data)
            self.gateway.recent.add(key, self.request_id)
        return answers.accepted(self.integration, {"ok": True, "id": self.request_id})

    async def _write(
        self,
        verified: VerifiedRequest,
        kind: Literal["event", "ping"],
        delivery: str,
        data: Callable[[], Any] | None = None,
    ) -> None:
        envelope = build_envelope(
            self.integration,
            verified,
            request_id=self.request_id,
            delivery_id=delivery,
            kind=kind,
            secret_headers=self.secret_headers,
        )
        try:
            await publish(
                self.gateway.producer,
                envelope,
                webhook_key(envelope, self.gateway.view.state.mapping(self.integration.id), data),
                self.gateway.settings.produce_timeout_seconds,
                self.gateway.journal,
                embedded=self.gateway.settings.embedded_broker,
            )
        except BrokerUnavailable as exc:
            log.error(
                "webhook not accepted: broker unavailable", extra={**self._ids(), "error": str(exc)}
            )
            raise unavailable(
                "temporarily unable to accept webhooks, retry later", id=self.request_id
            ) from None
        # One line per request: these join the access line (core.http).
        self.request[LOG_FIELDS] = {
            **self._ids(),
            "kind": kind,
            "delivery_id": delivery,
            "bytes": len(envelope.body),
        }

    async def _reject(
        self, refused: Refused, body: bytes | None, body_bytes: int, scheme: str | None = None
    ) -> None:
        log.warning(
            "webhook refused",
            extra={**self._ids(), "status": refused.status, "reason": refused.reason},
        )
        record = rejected_record(
            self.integration,
            request_id=self.request_id,
            received_at=self.received_at,
            status=refused.status,
            reason=refused.reason,
            scheme=scheme,
            method=self.request.method,
            headers=self.request.headers,
            body=body,
            body_bytes=body_bytes,
            secret_headers=self.secret_headers,
            remote=self.request.remote,
        )
        await record_rejection(self.gateway.producer, record)

    def _ids(self) -> dict[str, str]:
        return {"request_id": self.request_id, "integration_id": self.integration.id}


async def receive_webhook(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    label = "unknown"
    try:
        integration = find_integration(gateway, request.match_info["token"])
        label = integration.id
        reason = refusal_reason(gateway, integration)
        if reason is not None:
            raise Refused(403, reason)
        check_rate(gateway, integration)
        response = await Webhook(request, gateway, integration).accept()
    except Refused as refused:
        response = answers.refusal(refused)
    metrics.WEBHOOK_REQUESTS.labels(label, str(response.status)).inc()
    return response


async def hook_status(request: web.Request) -> web.Response:
    """``GET /hooks/{token}``: lets a user check the URL in a browser."""
    gateway = request.app[GATEWAY]
    try:
        integration = find_integration(gateway, request.match_info["token"])
    except Refused as refused:
        return answers.refusal(refused)
    reason = refusal_reason(gateway, integration)
    return answers.status_page(integration, accepting=reason is None, reason=reason)


def add_routes(app: web.Application, gateway: Gateway) -> None:
    """The gateway's routes, served with ``gateway``'s clients (started and stopped by
    whoever owns them: the app's ``cleanup_ctx`` in ``hookline/server.py``)."""
    app[GATEWAY] = gateway
    app.router.add_route("POST", "/hooks/{token}", receive_webhook)
    app.router.add_route("PUT", "/hooks/{token}", receive_webhook)
    app.router.add_get("/hooks/{token}", hook_status)
    app.router.add_get("/metrics", metrics.metrics_handler)
