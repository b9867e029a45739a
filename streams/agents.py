"""The webhook agent: envelopes in; commands, history and dead letters out.

Thin on purpose: every decision lives in :func:`streams.process.process_envelope`;
here, the order that makes a crash at any instruction harmless, for a batch of
webhooks in the order they were received:

1. each delivery's dedup mark is read (or the mark an earlier webhook of the same
   batch is about to write): another request already carried it -> a duplicate
   (history only); this same request -> it is being read again after a crash, so
   its outputs are produced again (same command ids: one effect);
2. every output of the batch is produced (together: ``core.worker.wire.Outputs``), and
   all are acknowledged;
3. only then the marks are written (a failed mapping writes none, so a retry or a
   replay runs again), and acknowledged;
4. the batch is left behind (faust may commit its offsets from then on)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import partial

import faust

from core.config.state import ConfigState
from core.config.view import ConfigView
from core.worker.services import WorkerServices
from core.worker.wire import Outputs, decode_event, each_batch, raw_topic
from schemas.commands import ActionCommand
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.topics import COMMANDS, DEADLETTER, HISTORY, WEBHOOKS
from streams.process import Outcome, delivery_key, process_envelope, unexpected_failure

log = logging.getLogger(__name__)


def dedup_key(envelope: WebhookEnvelope) -> str:
    return f"{envelope.integration_id}:{delivery_key(envelope)}"


def register_webhook_agent(app: faust.App, services: WorkerServices) -> None:
    @app.agent(raw_topic(app, WEBHOOKS.name), name="process-webhooks")
    async def process_webhooks(stream: faust.StreamT) -> None:
        await services.ready.wait()
        await each_batch(
            stream,
            partial(handle_webhooks, services),
            "webhooks not processed",
            services.settings.worker_batch_wait_ms / 1000,
        )


async def handle_webhooks(services: WorkerServices, events: Sequence[faust.EventT]) -> None:
    started = time.perf_counter()
    outputs = services.outputs()
    webhooks = [
        (event, envelope)
        for event in events
        if (envelope := decode_event(WEBHOOKS, event)) is not None
    ]
    #: The stored marks of the batch's deliveries (not pings), read at once (nothing
    #: else writes marks while the batch runs: this agent handles one batch at a time).
    stored = await services.dedup.read(
        (event.message.partition, dedup_key(envelope))
        for event, envelope in webhooks
        if envelope.kind == "event"
    )
    #: Marks this batch writes once its outputs are acknowledged, by (partition, key).
    marks: dict[tuple[int, str], DedupMark] = {}
    read_at = time.monotonic()  # every webhook of the batch is in hand
    for event, envelope in webhooks:
        await _process(services, event, envelope, outputs, stored, marks, read_at)
    await outputs.acknowledged()
    await (await services.dedup.stage_many([(p, k, mark) for (p, k), mark in marks.items()]))
    log.debug(
        "webhooks processed",
        extra={"events": len(events), "ms": round((time.perf_counter() - started) * 1000, 2)},
    )


async def _process(
    services: WorkerServices,
    event: faust.EventT,
    envelope: WebhookEnvelope,
    outputs: Outputs,
    stored: dict[tuple[int, str], DedupMark],
    marks: dict[tuple[int, str], DedupMark],
    read_at: float,
) -> None:
    """Decide one webhook and add its outputs (produced and acknowledged with the
    batch's). ``read_at``: ``time.monotonic()`` when the webhook was in hand."""
    partition = event.message.partition
    key = dedup_key(envelope)
    mark = None
    if envelope.kind == "event":
        mark = marks.get((partition, key)) or stored.get((partition, key))
    if mark is not None and not services.within_window(mark, envelope):
        mark = None
    duplicate = mark is not None and mark.request_id != envelope.request_id
    outcome = await decide_with_config_synced(
        services.view, envelope, duplicate, event.message.timestamp, read_at
    )

    for lead, commands in commands_by_lead(outcome.commands).items():
        outputs.add(COMMANDS, lead, commands)
    outputs.add(HISTORY, envelope.request_id, outcome.history)
    if outcome.failure is not None:
        outputs.add(DEADLETTER, envelope.integration_id, _dead_letter(envelope, outcome, event))
    # Only a delivery that was acted on counts as seen: one that failed (bad
    # mapping, no mapping yet) must run again when retried or replayed.
    if envelope.kind == "event" and mark is None and outcome.failure is None:
        marks[(partition, key)] = DedupMark(
            request_id=envelope.request_id, received_at=envelope.received_at
        )


async def decide_with_config_synced(
    view: ConfigView, envelope: WebhookEnvelope, duplicate: bool, moment: float, read_at: float
) -> Outcome:
    """The webhook's outcome, decided again if config changed while the worker made
    sure it had everything written before ``moment`` (the webhook's produce time): an
    integration, its mapping or an event created a moment ago, or a mapping fixed
    right before a replay, may not have reached this worker yet. Only a failed or
    unmatched decision waits; whatever the reader applied meanwhile (during the
    broker's answer too) counts."""
    seen = view.changes
    outcome = _decide(envelope, view.state, duplicate)
    if outcome.failure or outcome.history.status == "unmatched":
        await view.wait_synced(moment, read_at)
        if view.changes != seen:
            outcome = _decide(envelope, view.state, duplicate)
    return outcome


def commands_by_lead(commands: Sequence[ActionCommand]) -> dict[str, list[ActionCommand]]:
    """A webhook's commands as ``hookline.commands`` records: one per lead (all name the
    webhook phone's lead today), each in the order the executor runs them."""
    by_lead: dict[str, list[ActionCommand]] = {}
    for command in commands:
        by_lead.setdefault(command.lead_key, []).append(command)
    return by_lead


def _decide(envelope: WebhookEnvelope, state: ConfigState, duplicate: bool) -> Outcome:
    """:func:`process_envelope`, with what it raises made a dead letter (a bug met by
    this payload: ``streams.process.unexpected_failure``). Only the pure decision is
    guarded: a broker error around it still stops the worker, to run again."""
    try:
        return process_envelope(envelope, state, duplicate=duplicate)
    except Exception as exc:
        log.exception(
            "webhook not processed: internal error, sent to the dead letters",
            extra={"request_id": envelope.request_id, "integration_id": envelope.integration_id},
        )
        return unexpected_failure(envelope, state, exc)


def _dead_letter(envelope: WebhookEnvelope, outcome: Outcome, event: faust.EventT) -> DeadLetter:
    return DeadLetter(
        envelope=envelope,
        reason=outcome.failure or "",
        errors=outcome.history.errors,
        source_topic=WEBHOOKS.name,
        source_partition=event.message.partition,
        source_offset=event.message.offset,
    )
