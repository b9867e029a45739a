"""hookline/discovery/check.py: the warning a mapping is saved with when a required field
is found on none of the integration's recent payloads."""

from __future__ import annotations

from hookline.discovery.check import unresolved_warning
from schemas.mapping import Mapping

MAPPING = Mapping(event="event", name="buyer.name", phone="buyer.phone")
GOOD = {"event": "A", "buyer": {"name": "Ana", "phone": "11999998888"}}


def test_no_payload_yet_no_warning() -> None:
    assert unresolved_warning(MAPPING, []) is None


def test_each_required_field_found_once_is_enough() -> None:
    payloads = [({"event": "B"}, {}), (GOOD, {})]
    assert unresolved_warning(MAPPING, payloads) is None


def test_the_fields_found_on_none_are_named_with_why() -> None:
    wrong = Mapping(event="event", name="customer.name", phone="customer.phone")
    payloads = [(GOOD, {}), ({"event": "B", "buyer": {"name": "Bia"}}, {})]
    assert unresolved_warning(wrong, payloads) == (
        "not found on any of the 2 latest webhooks: name, phone (missing required field: name;"
        " missing required field: phone); webhooks like them would fail"
    )
    assert unresolved_warning(wrong, payloads[:1]) == (
        "not found on the latest webhook: name, phone (missing required field: name;"
        " missing required field: phone); webhooks like it would fail"
    )


def test_a_phone_is_found_only_when_it_is_a_valid_one() -> None:
    payloads = [({"event": "A", "buyer": {"name": "Ana", "phone": "123"}}, {})]
    assert unresolved_warning(MAPPING, payloads) == (
        "not found on the latest webhook: phone (invalid phone '123': too short);"
        " webhooks like it would fail"
    )


def test_headers_count_and_query_parameters_are_not_judged() -> None:
    # History keeps headers, not query strings: a field a query parameter may carry is
    # left out (it may well be there), a chain's other members notwithstanding.
    mapping = Mapping.model_validate(
        {
            "event": {"header": "X-Event"},
            "name": ["buyer.name", {"query": "name"}],
            "phone": "buyer.phone",
        }
    )
    payloads = [({"buyer": {"phone": "11999998888"}}, {"x-event": "paid"})]
    assert unresolved_warning(mapping, payloads) is None
    assert "not found on the latest webhook: event " in str(
        unresolved_warning(mapping, [({"buyer": {"phone": "11999998888"}}, {})])
    )


def test_an_optional_fields_error_is_no_reason_to_warn() -> None:
    mapping = MAPPING.model_copy(update={"fields": {"total": "sum(buyer)"}})
    assert unresolved_warning(mapping, [(GOOD, {})]) is None
