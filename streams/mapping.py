"""Apply an integration's field mapping to one request: the lead, or why not.

Pure and total: for any body, headers and query it returns a
:class:`MappedLead`; problems are collected in ``errors`` (clear sentences
that end up in history and dead letters) instead of raised.

- ``event`` and ``name`` must be scalars: strings are stripped, numbers and
  booleans become their JSON text (``7``, ``true``), an empty result counts as
  missing, and an object/array is an error.
- ``phone`` goes through :func:`streams.phone.normalise_phone` with the
  mapping's ``default_region``; when its source is a fallback chain, the first
  candidate that is a valid phone wins (a payload may carry an empty or malformed
  cellphone next to a good landline), else the first candidate's error is reported.
  A phone accepted with a doubt (a national reading that looks foreign) adds to
  ``warnings``, which never block the lead.
- any source may be a fallback chain (schemas/mapping.py): the first member present
  wins (core/sources.py).
- custom ``fields`` keep their JSON value, None when absent (not an error).
- a jmespath runtime error (``join`` over a null, ...) is reported as
  ``expression error in <field>: ...``. In a :data:`REQUIRED` field it is an error: the
  mapping is broken for this payload and must be fixed, then replayed. In any other
  field (custom and standard fields) it never blocks the lead: the field is None and
  the error is one of ``field_errors``, which the webhook's history lists.
- a body that was declared JSON (or multipart) and does not parse
  (:attr:`core.body.ParsedBody.broken`) is the reason, not the fields it leaves missing:
  a lead that cannot be read has that one error (``invalid JSON at byte N: ...``)
  (:func:`map_parsed`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping as ReadOnlyMap
from dataclasses import dataclass, field
from typing import Any

from core.body import ParsedBody, parse_body
from core.sources import SourceError, lower_keys, read_candidates, read_source
from schemas.mapping import Mapping, Source
from streams.phone import normalise_phone

#: The fields a lead cannot go through without; any other field is optional.
REQUIRED = ("event", "name", "phone")


@dataclass(slots=True)
class MappedLead:
    event: str | None = None
    name: str | None = None
    #: E.164 (``+5511999999999``), None when missing or refused.
    phone: str | None = None
    #: The phone as found in the request, kept even when refused.
    phone_raw: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: Doubts that do not block the lead (a phone read in the default region that looks
    #: foreign).
    warnings: list[str] = field(default_factory=list)
    #: Optional fields that could not be read (left None); they never block the lead and
    #: the webhook's history lists them after ``errors``.
    field_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[str]:
        """What history says of this mapping: ``errors``, then ``field_errors``."""
        return [*self.errors, *self.field_errors]


class _Failed(Exception):
    """A source could not be evaluated; the message is already user-facing."""


class _Request:
    """The three places a source reads from: parsed body, headers, query string."""

    def __init__(
        self,
        body: Any,
        headers: ReadOnlyMap[str, str] | None,
        query: ReadOnlyMap[str, list[str]] | None,
    ) -> None:
        self.body = body
        # HTTP header names are case-insensitive; the gateway lower-cases them anyway.
        self.headers = lower_keys(headers)
        self.query = query or {}

    def resolve(self, label: str, source: Source) -> Any:
        try:
            return read_source(source, self.body, self.headers, self.query)
        except SourceError as exc:
            raise _Failed(f"expression error in {label}: {exc}") from None

    def candidates(self, label: str, source: Source) -> list[Any]:
        """A chain's present values; a single source's value as is (when not None)."""
        if not isinstance(source, tuple):
            value = self.resolve(label, source)
            return [] if value is None else [value]
        try:
            return read_candidates(source, self.body, self.headers, self.query)
        except SourceError as exc:
            raise _Failed(f"expression error in {label}: {exc}") from None


def apply_mapping(
    mapping: Mapping,
    body: Any,
    headers: ReadOnlyMap[str, str] | None = None,
    query: ReadOnlyMap[str, list[str]] | None = None,
) -> MappedLead:
    """Map one request (``body`` is :attr:`ParsedBody.data`) to a lead. Never raises."""
    request = _Request(body, headers, query)
    lead = MappedLead()
    lead.event = _scalar(request, "event", mapping.event, lead.errors)
    lead.name = _scalar(request, "name", mapping.name, lead.errors)
    _phone(request, mapping, lead)
    for name, source in mapping.fields.items():
        try:
            lead.fields[name] = request.resolve(f"fields.{name}", source)
        except _Failed as exc:
            lead.fields[name] = None
            lead.field_errors.append(str(exc))
    return lead


def map_parsed(
    mapping: Mapping,
    parsed: ParsedBody,
    headers: ReadOnlyMap[str, str] | None = None,
    query: ReadOnlyMap[str, list[str]] | None = None,
) -> MappedLead:
    """:func:`apply_mapping` on a parsed body. A broken body (declared JSON, not JSON) is
    the one reason for what could not be read from it (headers and the query never fail):
    its error replaces the missing fields of a lead that fails, and is the field error of
    a lead that goes through anyway (every required field read from headers or query)."""
    lead = apply_mapping(mapping, parsed.data, headers, query)
    if parsed.broken and parsed.error:
        lead.field_errors = [parsed.error] if lead.ok else []
        lead.errors = [] if lead.ok else [parsed.error]
    return lead


def map_request(
    mapping: Mapping,
    raw: bytes,
    content_type: str | None,
    headers: ReadOnlyMap[str, str] | None = None,
    query: ReadOnlyMap[str, list[str]] | None = None,
) -> tuple[ParsedBody, MappedLead]:
    """Parse the raw body and map it: what a worker does with one webhook envelope.

    Without ``content_type`` the request's own Content-Type header is used, if any.
    """
    if content_type is None:
        content_type = lower_keys(headers).get("content-type")
    parsed = parse_body(raw, content_type)
    return parsed, map_parsed(mapping, parsed, headers, query)


def _scalar(request: _Request, label: str, source: Source, errors: list[str]) -> str | None:
    try:
        value = request.resolve(label, source)
        text = _text(label, value)
    except _Failed as exc:
        errors.append(str(exc))
        return None
    if not text:
        errors.append(f"missing required field: {label}")
        return None
    return text


def _phone(request: _Request, mapping: Mapping, lead: MappedLead) -> None:
    try:
        values = request.candidates("phone", mapping.phone)
        if values and isinstance(values[0], dict | list):
            raise _Failed(f"phone is not a scalar (got {_json_type(values[0])})")
    except _Failed as exc:
        lead.errors.append(str(exc))
        return
    if not values or (isinstance(values[0], str) and not values[0].strip()):
        lead.errors.append("missing required field: phone")
        return
    results = [normalise_phone(value, mapping.default_region) for value in values]
    # The first valid candidate wins; none valid: the first candidate is the one reported.
    result = next((r for r in results if not r.error), results[0])
    lead.phone_raw = result.raw
    if result.error:
        lead.errors.append(f"invalid phone '{result.raw}': {result.error}")
    else:
        lead.phone = result.e164
        if result.warning:
            lead.warnings.append(f"phone '{result.raw}': {result.warning}")


def _text(label: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise _Failed(f"{label} is not a scalar (got {_json_type(value)})")
    try:
        # JSON spelling for numbers and booleans: 7, 1.5, true (not Python's True).
        text = json.dumps(value) if isinstance(value, bool | int | float) else str(value)
    except ValueError as exc:  # ints past Python's 4300-digit str() limit
        raise _Failed(f"{label} is not usable: {exc}") from None
    return text.strip()


def _json_type(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array"
