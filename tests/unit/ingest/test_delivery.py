"""Delivery ids (ingest/delivery.py): the platform's id where its preset says, else a hash."""

from __future__ import annotations

import hashlib
import json

import pytest

from ingest.delivery import content_hash, delivery_id, delivery_source
from schemas.mapping import HeaderSource, QuerySource


def _id(platform: str, body: bytes = b"", headers=None, query=None, content_type=None) -> str:
    return delivery_id(
        delivery_source(platform),
        headers=headers or {},
        query=query or {},
        body=body,
        content_type=content_type,
    )


def test_presets_say_where_the_id_travels() -> None:
    assert delivery_source("shopify") == HeaderSource(header="X-Shopify-Webhook-Id")
    assert delivery_source("stripe") == "id"
    assert delivery_source("generic") is None
    assert delivery_source("no-such-platform") is None


def test_header_ids() -> None:
    headers = {"x-shopify-webhook-id": " b54557e4-bdd9-4b37-8a5f-bf7d70bcd043 "}
    assert _id("shopify", b"{}", headers) == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    headers = {"x-wc-webhook-delivery-id": "7a1b"}
    assert _id("woocommerce", b"{}", headers) == "7a1b"


@pytest.mark.parametrize(
    ("platform", "body", "content_type", "expected"),
    [
        ("stripe", b'{"id": "evt_1", "object": "event"}', "application/json", "evt_1"),
        # A wrong Content-Type does not hide the id: the body is sniffed.
        ("hotmart", b'{"id": "hm-1", "event": "PURCHASE_APPROVED"}', "text/plain", "hm-1"),
        ("asaas", b'{"id": 12345, "event": "PAYMENT_RECEIVED"}', None, "12345"),
        ("twilio", b"SmsSid=SM1&Body=oi", "application/x-www-form-urlencoded", "SM1"),
        ("twilio", b"CallSid=CA9&From=%2B1", "application/x-www-form-urlencoded", "CA9"),
    ],
)
def test_body_ids(platform: str, body: bytes, content_type: str | None, expected: str) -> None:
    assert _id(platform, body, content_type=content_type) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"object": "event"}',  # no id
        b'{"id": {"nested": 1}}',  # not a scalar
        b'{"id": true}',
        b'{"id": "   "}',
        json.dumps({"id": "x" * 201}).encode(),  # too long to be an id
        b"\x00\x01binary",
        b"",
    ],
)
def test_without_a_usable_id_the_body_hash_is_used(body: bytes) -> None:
    assert _id("stripe", body) == "sha256:" + hashlib.sha256(body).hexdigest()


def test_query_sources_and_the_hash_of_body_and_query() -> None:
    assert (
        delivery_id(
            QuerySource(query="delivery"),
            headers={},
            query={"delivery": ["d-1", "d-2"]},
            body=b"",
            content_type=None,
        )
        == "d-1"
    )
    # The event in the query string, nothing in the body: different queries differ.
    one = content_hash(b"", {"event": ["paid"], "id": ["1"]})
    assert one == content_hash(b"", {"id": ["1"], "event": ["paid"]})
    assert one != content_hash(b"", {"event": ["paid"], "id": ["2"]})
    assert one != content_hash(b"", {})
