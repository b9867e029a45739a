"""Leads, read from ClickHouse: the list (filters, cursor pages), one lead, its messages
and its timeline. Every query is filtered by the caller's account.

A lead is named by its phone in any spelling a person or a platform writes it: ``+55 11
99999-0000``, ``5511999990000``, ``(11) 99999-0000`` are one lead. The phone is read with
the workers' own rules (``streams/phone.py``) in the account's default region: the one
most of its integrations' mappings use (BR when they have none)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from core.config.state import ConfigState
from hookline.api.call import ApiError, Call, not_found
from hookline.history.store import LeadFilter, TimelineKey
from schemas.api import (
    ErrorDetail,
    LeadList,
    LeadOut,
    LeadQuery,
    MessageList,
    MessageOut,
    Timeline,
    TimelineQuery,
)
from schemas.config import Integration
from streams.fields import STANDARD_FIELDS, FieldValueError, convert, typed
from streams.phone import normalise_phone


def _invalid(loc: str, message: str) -> ApiError:
    return ApiError(422, message, [ErrorDetail(loc=loc, message=message)])


# -- the phone ---------------------------------------------------------------------------
def account_region(state: ConfigState, account_id: str) -> str:
    """The region most of the account's mappings read national numbers in (BR first on
    a tie; BR when the account has no mapping)."""
    regions = Counter(
        mapping.default_region
        for integration in state.integrations_of(account_id)
        if (mapping := state.mapping(integration.id)) is not None
    )
    ranked = sorted(regions.items(), key=lambda item: (-item[1], item[0] != "BR", item[0]))
    return ranked[0][0] if ranked else "BR"


def lead_phone(raw: str, region: str = "BR") -> str:
    """The lead's E.164 phone from any spelling of it (422 when it is not a phone)."""
    result = normalise_phone(raw, region)
    if result.e164 is None:
        raise _invalid(
            "phone",
            f"{raw!r} is not a phone number ({result.error}); write it as +5511999999999,"
            " 5511999999999 or (11) 99999-9999",
        )
    return result.e164


def path_phone(call: Call) -> str:
    return lead_phone(call.path("phone"), account_region(call.state, call.account.id))


# -- what a lead looks like --------------------------------------------------------------
def field_types(call: Call) -> dict[str, str]:
    return {f.name: f.type for f in call.state.custom_fields_of(call.account.id)}


def lead_out(row: dict[str, Any], types: dict[str, str]) -> LeadOut:
    fields = {name: typed(value, types.get(name, "text")) for name, value in row["fields"].items()}
    return LeadOut.from_row(row, fields=fields)


async def get_lead(call: Call) -> LeadOut:
    row = await call.history.lead(call.account.id, path_phone(call))
    if row is None:
        raise not_found("lead")
    return lead_out(row, field_types(call))


async def lead_messages(call: Call) -> MessageList:
    # A lead this account does not have is unknown here too (404, as its own route),
    # not a lead with no messages: the two answers must not tell tenants apart.
    phone = path_phone(call)
    if await call.history.lead(call.account.id, phone) is None:
        raise not_found("lead")
    rows = await call.history.messages(call.account.id, phone)
    return MessageList(messages=[MessageOut.model_validate(r) for r in rows])


# -- cursors -----------------------------------------------------------------------------
def encode_cursor(data: dict[str, Any]) -> str:
    """Opaque to clients: what the next page starts after, and what query it belongs to."""
    raw = json.dumps(data, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, query: str) -> dict[str, Any]:
    """The cursor's data (422 when it is not one of ours, or of another ``query``)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        data = None
    if not isinstance(data, dict):
        raise _invalid("cursor", "not a cursor of this API (use next_cursor as given)")
    if data.get("q") != query:
        raise _invalid("cursor", "this cursor belongs to another query (other filters or lead)")
    return data


def _fingerprint(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# -- the list ----------------------------------------------------------------------------
def field_filter(call: Call, spec: str) -> tuple[str, str, str]:
    """``name=value`` as ``(column, name, stored value)``: a custom field's value read as
    its type, a standard field's normalised."""
    name, _, value = spec.partition("=")
    name, value = name.strip(), value.strip()
    types = field_types(call)
    try:
        if name in types:
            return "fields", name, convert(value, types[name])
        if name in STANDARD_FIELDS:
            return "profile", name, STANDARD_FIELDS[name](value)
    except FieldValueError as exc:
        raise _invalid("field", f"{value!r} for {name!r}: {exc}") from None
    known = ", ".join([*sorted(types), *STANDARD_FIELDS])
    raise _invalid("field", f"unknown field {name!r} (this account has: {known})")


async def list_leads(call: Call) -> LeadList:
    query: LeadQuery = call.query
    if query.integration is not None:
        integration = call.state.get("integration", query.integration)
        if not isinstance(integration, Integration) or integration.owner != call.account.id:
            raise _invalid("integration", f"unknown integration {query.integration!r}")
    filters = LeadFilter(
        limit=query.limit + 1,  # one more: is there a next page?
        tag=query.tag,
        field=field_filter(call, query.field) if query.field is not None else None,
        integration=query.integration,
        updated_from=_utc(query.updated_from),
        updated_to=_utc(query.updated_to),
    )
    scope = _fingerprint(query.model_dump(exclude={"cursor", "limit"}))
    if query.cursor is not None:
        after = decode_cursor(query.cursor, scope).get("after")
        if not isinstance(after, str):
            raise _invalid("cursor", "not a cursor of this API (use next_cursor as given)")
        filters = replace(filters, after=after)
    rows = await call.history.leads(call.account.id, filters)
    page, more = rows[: query.limit], len(rows) > query.limit
    types = field_types(call)
    return LeadList(
        items=[lead_out(row, types) for row in page],
        next_cursor=encode_cursor({"q": scope, "after": page[-1]["phone"]}) if more else None,
    )


# -- the timeline ------------------------------------------------------------------------
def _timeline_key(cursor: str, phone: str) -> TimelineKey:
    data = decode_cursor(cursor, phone)
    try:
        return (datetime.fromisoformat(data["at"]), int(data["rank"]), str(data["id"]))
    except (KeyError, TypeError, ValueError):
        raise _invalid("cursor", "not a cursor of this API (use next_cursor as given)") from None


async def lead_timeline(call: Call) -> Timeline:
    """Webhooks, what their actions did and the messages sent, oldest first. A phone the
    account has no lead for is unknown (404) unless the account's webhooks mapped it (a
    lead whose webhooks matched no event: the timeline says why there is none)."""
    query: TimelineQuery = call.query
    phone = path_phone(call)
    before = _timeline_key(query.cursor, phone) if query.cursor is not None else None
    entries = await call.history.timeline(call.account.id, phone, query.limit + 1, before)
    if not entries and before is None and await call.history.lead(call.account.id, phone) is None:
        raise not_found("lead")
    page, more = entries[: query.limit], len(entries) > query.limit
    next_cursor = None
    if more:
        at, rank, entry_id = page[-1]["key"]
        next_cursor = encode_cursor(
            {"q": phone, "at": at.isoformat(), "rank": rank, "id": entry_id}
        )
    items = [{k: v for k, v in entry.items() if k != "key"} for entry in reversed(page)]
    return Timeline.model_validate({"phone": phone, "items": items, "next_cursor": next_cursor})
