"""Building the envelope from what the gateway received. Pure."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping

from schemas.config import Integration
from schemas.envelope import WebhookEnvelope
from schemas.types import utcnow

#: Headers that carry credentials: never written to Kafka, history or logs.
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-hotmart-hottok",
        "x-signature",
        "x-shopify-hmac-sha256",
        "x-wc-webhook-signature",
        "x-yampi-hmac-sha256",
        "stripe-signature",
        "calendly-webhook-signature",
        "x-linkedstore-hmac-sha256",
        "x-twilio-signature",
        "asaas-access-token",
        "x-eduzzapi",
        "x-webhook-token",
    }
)
#: Hop-by-hop and transport headers that say nothing about the event.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "accept-encoding",
        "keep-alive",
        "te",
        "upgrade",
    }
)


def selected_headers(
    headers: Mapping[str, str], extra_secret: Iterable[str] = ()
) -> dict[str, str]:
    drop = CREDENTIAL_HEADERS | TRANSPORT_HEADERS | {h.lower() for h in extra_secret}
    return {k.lower(): v for k, v in headers.items() if k.lower() not in drop}


def query_lists(pairs: Iterable[tuple[str, str]], drop: Iterable[str] = ()) -> dict[str, list[str]]:
    skipped = set(drop)
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in skipped:
            query.setdefault(key, []).append(value)
    return query


def body_hash(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def build_envelope(
    integration: Integration,
    *,
    method: str,
    content_type: str | None,
    headers: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
    delivery_id: str | None = None,
) -> WebhookEnvelope:
    return WebhookEnvelope(
        request_id=uuid.uuid4().hex,
        integration_id=integration.id,
        account_id=integration.account_id,
        received_at=utcnow(),
        method=method,
        content_type=content_type,
        headers=selected_headers(headers),
        query=query_lists(query, drop=("signature",)),
        body=body,
        delivery_id=delivery_id or body_hash(body),
    )
