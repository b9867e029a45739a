"""Reading a mapping source (core/sources.py): the one reader behind the workers' mapping,
the gateway's delivery ids and the suggestion measurement."""

from __future__ import annotations

import re

import jmespath
import jmespath.exceptions
import pytest

from core.sources import SourceError, first, lower_keys, read_source
from schemas.mapping import HeaderSource, QuerySource

BODY = {"data": {"buyer": {"name": "Ana"}, "items": [1, 2]}, "id": 7}
HEADERS = {"x-shopify-topic": "orders/paid"}
QUERY = {"event": ["paid", "again"], "empty": []}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("data.buyer.name", "Ana"),
        ("id", 7),
        ("data.missing", None),
        ("join('-', ['a', 'b'])", "a-b"),
        (HeaderSource(header="X-Shopify-Topic"), "orders/paid"),
        (HeaderSource(header="x-shopify-topic"), "orders/paid"),
        (HeaderSource(header="X-Other"), None),
        (QuerySource(query="event"), "paid"),
        (QuerySource(query="empty"), None),
        (QuerySource(query="missing"), None),
    ],
)
def test_each_kind_of_source_reads_its_place(source, expected) -> None:
    assert read_source(source, BODY, HEADERS, QUERY) == expected


def test_headers_and_query_default_to_none_given() -> None:
    assert read_source(HeaderSource(header="X-A"), BODY) is None
    assert read_source(QuerySource(query="a"), BODY) is None


def test_a_failing_expression_raises_with_the_reason() -> None:
    with pytest.raises(SourceError, match="join"):
        read_source("join('', data.items)", BODY)  # numbers, not strings
    with pytest.raises(SourceError, match="invalid jmespath expression"):
        read_source("data..", BODY)  # never saved (mappings are validated), still no crash


def test_the_body_is_read_only_by_expressions() -> None:
    assert read_source(HeaderSource(header="x-shopify-topic"), None, HEADERS) == "orders/paid"
    assert read_source("id", None) is None


def test_query_values_read_the_first_and_headers_are_keyed_lower_case() -> None:
    assert first(["a", "b"]) == "a" and first(()) is None and first("a") == "a"
    assert lower_keys({"X-A": "1", "x-b": "2"}) == {"x-a": "1", "x-b": "2"}
    assert lower_keys(None) == {}


# -- fallback chains ---------------------------------------------------------------------
def test_a_chain_reads_its_members_in_order_and_the_first_present_wins() -> None:
    from schemas.mapping import HeaderSource as Header
    from schemas.mapping import QuerySource as Query

    chain = ("data.buyer.phone", "data.user.phone", Header(header="X-Phone"), Query(query="p"))
    body = {"data": {"buyer": {"phone": "  "}, "user": {"phone": "11999999999"}}}
    assert read_source(chain, body, {"x-phone": "h"}, {"p": ["q"]}) == "11999999999"
    assert read_source(chain, {}, {"x-phone": "h"}, {"p": ["q"]}) == "h"
    assert read_source(chain, {}, {}, {"p": ["q"]}) == "q"
    assert read_source(chain, {}, {}, {}) is None


def test_a_failing_member_is_skipped_when_another_has_a_value() -> None:
    from core.sources import SourceError, read_candidates

    chain = ("abs(name)", "name", "nick")
    assert read_candidates(chain, {"name": "Ana", "nick": "Aninha"}) == ["Ana", "Aninha"]
    with pytest.raises(SourceError):  # nothing found: the failure must be said
        read_candidates(chain, {"name": "x"[:0]})


# -- expressions read as jmespath reads them ------------------------------------------------
@pytest.mark.parametrize(
    "expression",
    [
        "id",
        "data.buyer.name",
        'data."buyer".name',
        "data.buyer.name.first",
        "data.items",
        "data.items[0]",
        "data.*",
        "missing.deeper.still",
        "length(data.items)",
        "data.buyer || id",
        "@",
    ],
)
@pytest.mark.parametrize(
    "body",
    [BODY, None, "text", 7, [1, 2], {"data": "x"}, {"data": {"buyer": None}}, {"data": [{}]}],
)
def test_an_expression_reads_what_jmespath_reads(expression: str, body: object) -> None:
    """Key paths are read without walking jmespath's tree, others by one interpreter for
    every search: both as ``jmespath.search``."""
    try:
        expected: object = jmespath.search(expression, body)
    except jmespath.exceptions.JMESPathError as exc:
        with pytest.raises(SourceError, match=re.escape(str(exc))):
            read_source(expression, body)
    else:
        assert read_source(expression, body) == expected
