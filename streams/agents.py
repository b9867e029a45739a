"""The webhook agent: envelope in; commands, history and dead letters out.

Thin on purpose: decoding, dedup and sending live here, every decision lives
in :func:`streams.process.process_envelope`."""

from __future__ import annotations

import logging
import time

import faust

from hookline.settings import Settings
from schemas.deadletter import DeadLetter
from schemas.envelope import WebhookEnvelope
from schemas.topics import COMMANDS, DEADLETTER, HISTORY, WEBHOOKS
from streams.app import ConfigService
from streams.process import delivery_key, process_envelope
from streams.wire import decode_event, raw_topic, send_now

log = logging.getLogger(__name__)


def register_webhook_agent(app: faust.App, config: ConfigService, settings: Settings) -> None:
    window = settings.dedup_window_seconds
    # Delivery keys seen recently. Tumbling windows with the previous window
    # consulted too: a duplicate is caught for at least `window` seconds.
    seen = app.Table(
        "dedup",
        default=int,
        key_type=str,
        value_type=int,
        partitions=WEBHOOKS.partitions,
    ).tumbling(window, expires=2 * window)
    commands = raw_topic(app, COMMANDS.name)
    history = raw_topic(app, HISTORY.name)
    deadletters = raw_topic(app, DEADLETTER.name)

    @app.agent(raw_topic(app, WEBHOOKS.name), name="process-webhooks")
    async def process_webhooks(stream: faust.StreamT) -> None:
        await config.ready.wait()
        async for event in stream.events():
            envelope = decode_event(WEBHOOKS, event)
            if envelope is None:
                continue
            dedup_key = f"{envelope.integration_id}:{delivery_key(envelope)}"
            recent = seen[dedup_key]
            duplicate = envelope.kind == "event" and bool(recent.now() or recent.delta(window))
            started = time.perf_counter()
            outcome = process_envelope(envelope, config.view.state, duplicate=duplicate)
            # Config written just before this webhook was produced (an integration, its
            # mapping or an event created a moment ago, or a mapping fixed right before a
            # replay) may not have reached this worker yet.
            if (outcome.failure or outcome.history.status == "unmatched") and (
                await config.view.wait_synced(event.message.timestamp)
            ):
                outcome = process_envelope(envelope, config.view.state, duplicate=duplicate)
            # Only a delivery that was acted on counts as seen: one that failed (bad
            # mapping, no mapping yet) must run again when retried or replayed.
            if envelope.kind == "event" and not duplicate and outcome.failure is None:
                seen[dedup_key] = 1
            for command in outcome.commands:
                await send_now(
                    commands, key=command.lead_key.encode(), value=COMMANDS.encode(command)
                )
            await send_now(
                history, key=envelope.request_id.encode(), value=HISTORY.encode(outcome.history)
            )
            if outcome.failure is not None:
                await send_now(
                    deadletters,
                    key=envelope.integration_id.encode(),
                    value=DEADLETTER.encode(_dead_letter(envelope, outcome, event)),
                )
            log.debug(
                "webhook processed",
                extra={
                    "request_id": envelope.request_id,
                    "status": outcome.history.status,
                    "commands": len(outcome.commands),
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def _dead_letter(envelope: WebhookEnvelope, outcome, event: faust.EventT) -> DeadLetter:
    return DeadLetter(
        envelope=envelope,
        reason=outcome.failure,
        errors=outcome.history.errors,
        source_topic=WEBHOOKS.name,
        source_partition=event.message.partition,
        source_offset=event.message.offset,
    )
