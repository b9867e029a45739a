"""Building the envelope from a verified request. Pure.

Only a :class:`~ingest.verify.VerifiedRequest` becomes an envelope: what is written
to Kafka has passed its integration's signature check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Literal

from core.redact import USUAL_CREDENTIAL_HEADERS
from ingest.verify import VerifiedRequest, credential_headers, credential_query
from platforms import credential_headers as platform_credential_headers
from schemas.config import Integration
from schemas.envelope import WebhookEnvelope

#: Hop-by-hop and transport headers that say nothing about the event. The body is
#: carried decoded, so its ``Content-Encoding`` no longer applies.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "accept-encoding",
        "keep-alive",
        "te",
        "upgrade",
    }
)
#: Headers never written to Kafka (so never in history or logs either): the usual ones,
#: every one a verifier reads (ingest/verify) and those a platform declares
#: (platforms/<id>.py), all lower-case. A header an integration configured is added per request.
CREDENTIAL_HEADERS = USUAL_CREDENTIAL_HEADERS | credential_headers() | platform_credential_headers()
#: Query parameters that carry a signature (Kiwify's ``signature``), as the verifiers declare.
CREDENTIAL_QUERY = credential_query()


def header_text(value: str) -> str:
    """A header value as text that can be stored: bytes that are not UTF-8 (aiohttp keeps
    them as surrogates, which JSON cannot encode) are read as latin-1, losing nothing."""
    if value.isascii():  # nearly every value: no encoding to try
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    return value


#: What :func:`selected_headers` always drops (built once: it runs for every webhook).
_NEVER_WRITTEN = CREDENTIAL_HEADERS | TRANSPORT_HEADERS


def selected_headers(
    headers: Mapping[str, str], extra_secret: Iterable[str] = ()
) -> dict[str, str]:
    drop = _NEVER_WRITTEN.union(h.lower() for h in extra_secret) if extra_secret else _NEVER_WRITTEN
    return {k.lower(): header_text(v) for k, v in headers.items() if k.lower() not in drop}


def content_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("content-type")
    return None if value is None else header_text(value)


def query_lists(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """A query string as key -> values (a repeated key keeps every value, in order)."""
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        query.setdefault(key, []).append(value)
    return query


def build_envelope(
    integration: Integration,
    verified: VerifiedRequest,
    *,
    request_id: str,
    delivery_id: str,
    kind: Literal["event", "ping"] = "event",
    secret_headers: Iterable[str] = (),
) -> WebhookEnvelope:
    request = verified.request
    return WebhookEnvelope(
        request_id=request_id,
        integration_id=integration.id,
        account_id=integration.account_id,
        received_at=datetime.fromtimestamp(request.received_at, UTC),
        method=request.method,
        kind=kind,
        content_type=content_type(request.headers),
        headers=selected_headers(request.headers, secret_headers),
        query={k: v for k, v in request.query.items() if k not in CREDENTIAL_QUERY},
        body=request.body,
        delivery_id=delivery_id,
    )
