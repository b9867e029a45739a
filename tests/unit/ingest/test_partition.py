"""The webhook's record key: a lead's webhooks share a partition, an integration's
spread."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from aiokafka.partitioner import DefaultPartitioner

from ingest.partition import webhook_key
from schemas.envelope import WebhookEnvelope
from schemas.mapping import Mapping
from schemas.topics import WEBHOOKS

MAPPING = Mapping(
    event="event",
    name="data.buyer.name",
    phone=("data.buyer.checkout_phone", "data.buyer.phone"),
)


def envelope(body: bytes, content_type: str = "application/json", **extra) -> WebhookEnvelope:
    return WebhookEnvelope(
        request_id="req_1",
        integration_id="int_1",
        account_id="acc_1",
        received_at=datetime.now(UTC),
        content_type=content_type,
        body=body,
        **extra,
    )


def hotmart(**buyer: object) -> bytes:
    return json.dumps({"event": "PURCHASE_APPROVED", "data": {"buyer": buyer}}).encode()


@pytest.mark.parametrize(
    "phone",
    ["(11) 99999-0000", "+55 11 99999-0000", "5511999990000", "11 9999-0000", 11999990000],
)
def test_every_spelling_of_a_phone_gives_the_lead_one_key(phone: object) -> None:
    assert webhook_key(envelope(hotmart(checkout_phone=phone)), MAPPING) == b"acc_1:99990000"


def test_the_first_candidate_long_enough_to_be_a_phone_is_the_one() -> None:
    body = hotmart(checkout_phone="0", phone="+55 (21) 98888-7777")
    assert webhook_key(envelope(body), MAPPING) == b"acc_1:88887777"


def test_leads_of_one_integration_spread_over_every_partition() -> None:
    """As the producer's default partitioner (Kafka's murmur2) places them."""
    every = list(range(WEBHOOKS.partitions))
    keys = [webhook_key(envelope(hotmart(phone=f"1199{n:07d}")), MAPPING) for n in range(64)]
    assert {DefaultPartitioner()(key, every, every) for key in keys} == set(every)


@pytest.mark.parametrize(
    ("body", "mapping"),
    [
        (hotmart(name="no phone"), MAPPING),  # no phone: fails mapping in its integration's order
        (hotmart(phone="123"), MAPPING),  # too short to be one
        (hotmart(phone={"ddd": "11"}), MAPPING),  # not a scalar
        (hotmart(phone="11999990000"), None),  # no mapping yet
        (b"not json", MAPPING),
    ],
)
def test_without_a_phone_or_a_mapping_the_key_is_the_integration(
    body: bytes, mapping: Mapping | None
) -> None:
    assert webhook_key(envelope(body), mapping) == b"int_1"


def test_pings_keep_the_integration_key() -> None:
    ping = envelope(hotmart(phone="11999990000"), kind="ping")
    assert webhook_key(ping, MAPPING) == b"int_1"


def test_forms_headers_and_query_strings_are_read_like_the_mapping_reads_them() -> None:
    form = urlencode({"phone": "(11) 99999-0000"}).encode()
    by_form = Mapping(event="event", name="name", phone="phone")
    assert webhook_key(envelope(form, "application/x-www-form-urlencoded"), by_form) == (
        b"acc_1:99990000"
    )
    by_query = Mapping(event="event", name="name", phone={"query": "tel"})
    queried = envelope(b"", query={"tel": ["21988887777"]})
    assert webhook_key(queried, by_query) == b"acc_1:88887777"
