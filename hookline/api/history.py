"""Reads from ClickHouse: a lead's state and messages, an integration's recent
webhooks, dead letters and rejected requests. Every query is filtered by the
caller's account."""

from __future__ import annotations

import re

from hookline.api.call import ApiError, Call, not_found
from ingest.publish import BrokerUnavailable, publish
from schemas.api import (
    DeadLetterList,
    DeadLetterOut,
    ErrorDetail,
    LeadOut,
    LimitQuery,
    MessageList,
    MessageOut,
    RejectedList,
    RejectedOut,
    ReplayRequest,
    ReplayResult,
    WebhookList,
    WebhookOut,
)
from schemas.config import Integration
from schemas.envelope import WebhookEnvelope

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
    # A lead this account does not have is unknown here too (404, as its own route),
    # not a lead with no messages: the two answers must not tell tenants apart.
    phone = lead_phone(call.path("phone"))
    if await call.history.lead(call.account.id, phone) is None:
        raise not_found("lead")
    rows = await call.history.messages(call.account.id, phone)
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
    return DeadLetterList(items=[DeadLetterOut.from_row(r) for r in rows])


async def rejected_requests(call: Call) -> RejectedList:
    query: LimitQuery = call.query
    integration = call.owned(Integration, call.path("id"))
    rows = await call.history.rejected(call.account.id, integration.id, query.limit)
    return RejectedList(items=[RejectedOut.model_validate(r) for r in rows])


async def replay_deadletters(call: Call) -> ReplayResult:
    """Send outstanding dead letters through the pipeline again (after the mapping
    was fixed). Same request id: the webhook's history row is replaced by the new
    outcome, and one that goes through leaves the dead-letter list."""
    body: ReplayRequest = call.body
    integration = call.owned(Integration, call.path("id"))
    rows = await call.history.deadletters(
        call.account.id,
        integration.id,
        len(body.request_ids) if body.request_ids else body.limit,
        request_ids=body.request_ids,
    )
    replayed = []
    for row in rows:
        envelope = WebhookEnvelope.model_validate_json(row["envelope_json"])
        try:
            await publish(call.runtime.producer, envelope)
        except BrokerUnavailable as exc:
            raise ApiError(503, f"broker unavailable after {len(replayed)} replays: {exc}") from exc
        replayed.append(envelope.request_id)
    return ReplayResult(replayed=len(replayed), request_ids=replayed)
