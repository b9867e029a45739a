"""The webhook agent: envelope in; commands, history and dead letters out.

Thin on purpose: every decision lives in :func:`streams.process.process_envelope`;
here, the order that makes a crash at any instruction harmless:

1. the delivery's dedup mark is read: another request already carried it -> a
   duplicate (history only); this same request -> it is being read again after a
   crash, so its outputs are produced again (same command ids: one effect);
2. every output is produced and acknowledged;
3. only then the mark is written (a failed mapping writes none, so a retry or a
   replay runs again);
4. the event is left behind (faust may commit its offset from then on)."""

from __future__ import annotations

import logging
import time
from functools import partial

import faust

from schemas.deadletter import DeadLetter
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.topics import COMMANDS, DEADLETTER, HISTORY, WEBHOOKS
from streams.process import Outcome, delivery_key, process_envelope
from streams.services import WorkerServices
from streams.wire import decode_event, each_event, raw_topic

log = logging.getLogger(__name__)


def dedup_key(envelope: WebhookEnvelope) -> str:
    return f"{envelope.integration_id}:{delivery_key(envelope)}"


def register_webhook_agent(app: faust.App, services: WorkerServices) -> None:
    @app.agent(raw_topic(app, WEBHOOKS.name), name="process-webhooks")
    async def process_webhooks(stream: faust.StreamT) -> None:
        await services.ready.wait()
        await each_event(stream, partial(handle_webhook, services), "webhook not processed")


async def handle_webhook(services: WorkerServices, event: faust.EventT) -> None:
    envelope = decode_event(WEBHOOKS, event)
    if envelope is None:
        return
    partition = event.message.partition
    started = time.perf_counter()
    await services.dedup.load(partition)
    key = dedup_key(envelope)
    mark = services.dedup.get(partition, key) if envelope.kind == "event" else None
    if mark is not None and not services.within_window(mark, envelope):
        mark = None
    duplicate = mark is not None and mark.request_id != envelope.request_id
    view = services.view
    outcome = process_envelope(envelope, view.state, duplicate=duplicate)
    # Config written just before this webhook was produced (an integration, its
    # mapping or an event created a moment ago, or a mapping fixed right before a
    # replay) may not have reached this worker yet.
    if (outcome.failure or outcome.history.status == "unmatched") and (
        await view.wait_synced(event.message.timestamp)
    ):
        outcome = process_envelope(envelope, view.state, duplicate=duplicate)

    outputs = services.outputs()
    for command in outcome.commands:
        await outputs.send(COMMANDS, command.lead_key, command)
    await outputs.send(HISTORY, envelope.request_id, outcome.history)
    if outcome.failure is not None:
        await outputs.send(
            DEADLETTER, envelope.integration_id, _dead_letter(envelope, outcome, event)
        )
    await outputs.acknowledged()
    # Only a delivery that was acted on counts as seen: one that failed (bad
    # mapping, no mapping yet) must run again when retried or replayed.
    if envelope.kind == "event" and mark is None and outcome.failure is None:
        await services.dedup.put(
            partition,
            key,
            DedupMark(request_id=envelope.request_id, received_at=envelope.received_at),
        )
    log.debug(
        "webhook processed",
        extra={
            "request_id": envelope.request_id,
            "status": outcome.history.status,
            "commands": len(outcome.commands),
            "replayed": mark is not None and not duplicate,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


def _dead_letter(envelope: WebhookEnvelope, outcome: Outcome, event: faust.EventT) -> DeadLetter:
    return DeadLetter(
        envelope=envelope,
        reason=outcome.failure or "",
        errors=outcome.history.errors,
        source_topic=WEBHOOKS.name,
        source_partition=event.message.partition,
        source_offset=event.message.offset,
    )
