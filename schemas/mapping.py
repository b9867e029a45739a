"""Field mapping: where an integration finds event, name, phone and custom fields.

A source is a jmespath expression over the parsed body (a plain string), a
request header (``{"header": "X-Shopify-Topic"}``), a query parameter
(``{"query": "event"}``), or a **fallback chain**: a list of those, read in order,
the first one present wins (``["data.buyer.checkout_phone", "data.buyer.phone",
{"header": "X-Phone"}]``). A chain is how one mapping reads every payload version
and event family of a platform (Hotmart's purchases carry the person in
``data.buyer``, its club events in ``data.user``); for the phone, the first
candidate that is a valid phone wins (core/sources.py, streams/mapping.py). A single
source is the chain of one, so mappings written before chains existed load unchanged.
Expressions are compiled when the model is validated, so an invalid mapping never
gets saved.
"""

from __future__ import annotations

from functools import lru_cache

import jmespath
import jmespath.exceptions
import phonenumbers
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ConfigDict, Field, field_validator


class HeaderSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    header: str = Field(min_length=1, max_length=256)


class QuerySource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    query: str = Field(min_length=1, max_length=256)


#: One place a value is read from.
SingleSource = str | HeaderSource | QuerySource
#: Longest fallback chain accepted.
MAX_CHAIN = 12
#: A single source, or a fallback chain of them (first present wins).
Source = str | HeaderSource | QuerySource | tuple[SingleSource, ...]


def chain_of(source: Source) -> tuple[SingleSource, ...]:
    """The members of ``source`` in the order they are tried (a single source: itself)."""
    return source if isinstance(source, tuple) else (source,)


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> ParsedResult:
    """Compile once per distinct expression; raises ValueError with jmespath's reason."""
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"invalid jmespath expression {expression!r}: {exc}") from None


def _check_source(source: Source) -> Source:
    if isinstance(source, tuple):
        if not source:
            raise ValueError("a fallback chain needs at least one source")
        if len(source) > MAX_CHAIN:
            raise ValueError(f"a fallback chain has at most {MAX_CHAIN} sources")
    for member in chain_of(source):
        if isinstance(member, str):
            if not member.strip():
                raise ValueError("empty expression")
            compile_expression(member)
    return source


class Mapping(BaseModel):
    """The mapping format shared by ``hookline preview`` and the management API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Source
    name: Source
    phone: Source
    fields: dict[str, Source] = Field(default_factory=dict)
    default_region: str = "BR"

    @field_validator("event", "name", "phone")
    @classmethod
    def _valid_source(cls, value: Source) -> Source:
        return _check_source(value)

    @field_validator("fields")
    @classmethod
    def _valid_fields(cls, value: dict[str, Source]) -> dict[str, Source]:
        for name, source in value.items():
            if not name.strip():
                raise ValueError("custom field names must not be empty")
            try:
                _check_source(source)
            except ValueError as exc:
                raise ValueError(f"field {name!r}: {exc}") from None
        return value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {value!r} (expected an ISO 3166 code such as BR)"
            )
        return region
