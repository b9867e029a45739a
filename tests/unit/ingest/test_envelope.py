"""The envelope built from a verified request (ingest/envelope.py)."""

from __future__ import annotations

import json

from ingest.envelope import build_envelope, header_text
from ingest.verify import UnverifiedRequest, verify
from schemas.config import Integration, UrlToken
from schemas.topics import WEBHOOKS

INTEGRATION = Integration(id="int_1", account_id="acc_1", name="x", tokens=[UrlToken(hash="h")])


def _envelope(headers: dict[str, str], query: dict[str, list[str]] | None = None, **kw):
    request = UnverifiedRequest(
        method="post", url="https://h/hooks/t", headers=headers, body=b"\x00{raw}",
        received_at=1_700_000_000.5, query=query or {},
    )  # fmt: skip
    return build_envelope(
        INTEGRATION, verify(request, None), request_id="r1", delivery_id="d", **kw
    )


def test_credentials_and_transport_headers_are_dropped() -> None:
    envelope = _envelope(
        {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": "sig",
            "X-Webhook-Signature": "sig",
            "X-Custom-Auth": "tok",
            "Content-Encoding": "gzip",
            "Host": "h",
            "X-Shopify-Topic": "orders/paid",
        },
        {"signature": ["abc"], "event": ["paid"]},
        secret_headers=("X-Custom-Auth",),
    )
    assert envelope.headers == {
        "content-type": "application/json",
        "x-shopify-topic": "orders/paid",
    }
    assert envelope.query == {"event": ["paid"]}
    assert envelope.content_type == "application/json"
    assert envelope.body == b"\x00{raw}" and envelope.delivery_id == "d"
    assert envelope.received_at.timestamp() == 1_700_000_000.5
    assert (envelope.kind, envelope.method, envelope.account_id) == ("event", "POST", "acc_1")


def test_header_bytes_that_are_not_utf8_survive_as_latin1() -> None:
    raw = b"\x80\xc3\xa9".decode("utf-8", "surrogateescape")  # what aiohttp hands over
    assert header_text(raw) == "\x80Ã©"
    assert header_text("João") == "João"
    envelope = _envelope({"X-Odd": raw, "Content-Type": raw})
    decoded = json.loads(WEBHOOKS.encode(envelope))
    assert decoded["headers"]["x-odd"] == "\x80Ã©" and decoded["content_type"] == "\x80Ã©"
