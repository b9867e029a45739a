"""History records the history tests build alike."""

from __future__ import annotations

from schemas.deadletter import DeadLetter
from schemas.envelope import WebhookEnvelope
from schemas.history import WebhookHistory


def dead_letter(hook: WebhookHistory, offset: int) -> DeadLetter:
    """The dead letter a worker writes for ``hook`` (a webhook that failed its mapping)."""
    envelope = WebhookEnvelope(
        request_id=hook.request_id,
        integration_id=hook.integration_id,
        account_id=hook.account_id,
        received_at=hook.received_at,
        content_type="application/json",
        headers={},
        body=hook.body_text.encode(),
    )
    return DeadLetter(
        envelope=envelope,
        reason="mapping",
        errors=["phone missing"],
        source_topic="hookline.webhooks",
        source_partition=0,
        source_offset=offset,
        failed_at=hook.processed_at,
    )
