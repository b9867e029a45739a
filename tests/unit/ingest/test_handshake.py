"""Platform handshakes (ingest/handshake.py)."""

from __future__ import annotations

import pytest

from ingest.handshake import handshake


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        (b"webhook_id=42", {}, "woocommerce"),
        (b"webhook_id=42\n", {}, "woocommerce"),
        (b'{"hookConfig":"ping"}', {}, "vtex"),
        (b'{ "hookConfig": "ping", "extra": 1 }', {}, "vtex"),
        (b"", {}, "empty"),
        (b"  \r\n", {}, "empty"),
        # Not handshakes: an event, an empty body carrying the event in the query string,
        # a form with more fields, other hookConfig values, broken JSON.
        (b"", {"event": ["paid"]}, None),
        (b"webhook_id=42&status=paid", {}, None),
        (b"webhook_id=abc", {}, None),
        (b'{"hookConfig":"other"}', {}, None),
        (b'{"hookConfig": "ping"', {}, None),
        (b'["hookConfig", "ping"]', {}, None),
        (b'{"OrderId": "1", "State": "invoiced"}', {}, None),
    ],
)
def test_handshakes(body: bytes, query: dict[str, list[str]], expected: str | None) -> None:
    assert handshake(body, query) == expected


def test_a_large_body_is_never_a_vtex_ping() -> None:
    body = b'{"hookConfig": "ping", "pad": "' + b"x" * 2000 + b'"}'
    assert handshake(body, {}) is None
