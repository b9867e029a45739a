"""Reads from ClickHouse: an integration's recent webhooks, dead letters and rejected
requests (leads: ``hookline/api/leads.py``), and dead-letter replay. Every query is
filtered by the caller's account."""

from __future__ import annotations

from hookline.api.call import ApiError, Call
from ingest.partition import webhook_key
from ingest.publish import BrokerUnavailable, publish
from schemas.api import (
    DeadLetterList,
    DeadLetterOut,
    LimitQuery,
    RejectedList,
    RejectedOut,
    ReplayRequest,
    ReplayResult,
    WebhookList,
    WebhookOut,
)
from schemas.config import Integration
from schemas.envelope import WebhookEnvelope


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
    outcome, and one that goes through leaves the dead-letter list.

    In the order the webhooks were received, whatever order they are named in: they go
    one after the other to their lead's partition of the webhooks topic
    (``ingest/partition.py``), which the worker reads in order, so a lead ends as the
    platform's own sequence left it (approved, then refunded). ``limit`` takes the
    oldest outstanding ones first."""
    body: ReplayRequest = call.body
    integration = call.owned(Integration, call.path("id"))
    rows = await call.history.deadletters(
        call.account.id,
        integration.id,
        len(body.request_ids) if body.request_ids else body.limit,
        request_ids=body.request_ids,
        oldest_first=True,
    )
    envelopes = [WebhookEnvelope.model_validate_json(row["envelope_json"]) for row in rows]
    envelopes.sort(key=lambda envelope: envelope.received_at)  # stable: offsets on ties
    mapping = call.state.mapping(integration.id)
    replayed = []
    for envelope in envelopes:
        try:
            await publish(
                call.runtime.producer,
                envelope,
                webhook_key(envelope, mapping),
                embedded=call.runtime.settings.embedded_broker,
            )
        except BrokerUnavailable as exc:
            raise ApiError(503, f"broker unavailable after {len(replayed)} replays: {exc}") from exc
        replayed.append(envelope.request_id)
    return ReplayResult(replayed=len(replayed), request_ids=replayed)
