"""Reads from ClickHouse: a lead's state and messages, an integration's recent
webhooks and dead letters. Every query is filtered by the caller's account."""

from __future__ import annotations

import re

from hookline.api.call import ApiError, Call, not_found
from schemas.api import (
    DeadLetterList,
    DeadLetterOut,
    ErrorDetail,
    LeadOut,
    LimitQuery,
    MessageList,
    MessageOut,
    WebhookList,
    WebhookOut,
)
from schemas.config import Integration

_E164 = re.compile(r"^\+[1-9][0-9]{6,15}$")


def lead_phone(raw: str) -> str:
    """``+5511...`` (``%2B5511...`` in the URL) or ``5511...``: E.164 either way."""
    phone = raw.strip()
    phone = phone if phone.startswith("+") else f"+{phone}"
    if not _E164.match(phone):
        message = f"{raw!r} is not a phone number in E.164 form, e.g. +5511999999999"
        raise ApiError(422, message, [ErrorDetail(loc="phone", message=message)])
    return phone


async def get_lead(call: Call) -> LeadOut:
    row = await call.history.lead(call.account.id, lead_phone(call.path("phone")))
    if row is None:
        raise not_found("lead")
    return LeadOut.model_validate(row)


async def lead_messages(call: Call) -> MessageList:
    rows = await call.history.messages(call.account.id, lead_phone(call.path("phone")))
    return MessageList(messages=[MessageOut.model_validate(r) for r in rows])


async def webhook_history(call: Call) -> WebhookList:
    query: LimitQuery = call.query
    integration = call.owned(Integration, call.path("id"))
    rows = await call.history.webhooks(call.account.id, integration.id, query.limit)
    return WebhookList(items=[WebhookOut.from_row(r) for r in rows])


async def deadletters(call: Call) -> DeadLetterList:
    query: LimitQuery = call.query
    integration = call.owned(Integration, call.path("id"))
    rows = await call.history.deadletters(call.account.id, integration.id, query.limit)
    # The stored envelope (body and headers) stays out of the list.
    names = DeadLetterOut.model_fields
    return DeadLetterList(
        items=[DeadLetterOut.model_validate({k: r[k] for k in names}) for r in rows]
    )
