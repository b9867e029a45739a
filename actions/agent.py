"""The executor agent: commands in; lead state, messages and results out.

Lead state lives in a :class:`core.worker.store.PartitionStore` on the compacted topic
``hookline.leads`` (co-partitioned with ``hookline.commands``, so one worker owns a
lead), which the history sink mirrors to ClickHouse; a lead's sends under way in
another, on ``hookline.sends`` (:class:`schemas.leads.SendIntents`).

Commands come in batches; the commands of one lead run one after the other, in
order, and different leads run at the same time (at most ``LEADS_AT_ONCE``).

The order that makes a crash at any instruction harmless:
- the lead, with the outcomes of its commands in the batch, is written, then the
  history records of every lead of the batch are produced together, and the commands
  are done when all are acknowledged (:func:`run_lead`, :func:`handle_commands`).
  Killed before the lead is stored, a command runs again (same records); after, it
  comes again, is recognised, and its records are produced again from the stored
  outcome (identical). In embedded mode the journal has the lead before any record
  leaves;
- a send waits for its turn (the account's rate, the recipient's gap: paced before
  the intent, so a crash while waiting leaves nothing to settle), stores its intent
  (the lead's ``SendIntents``: this send's id in ``sending``, the answers of the sends
  before it in the batch in ``settled``), then calls the channel with the command id
  as idempotency key, asking again only while the provider proves it did not take the
  message (``actions/sending.py``); the outcome is stored with the lead. Killed before
  the intent is stored: the channel was not called and the command runs again. Killed
  after: the command is settled as ``unknown`` and the channel is never called again
  for it (``actions.executor.interrupted_send``). An account whose credentials were
  refused is not called at all (no intent) until its channel config changes;
- once the lead is stored, its intents are trimmed to what it does not settle
  (deleted, mostly): only then, so a command whose outcome the stored lead lacks
  always finds its intent. An intent left behind by a crash names commands the lead
  remembers (found there first) or ones still to come again."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import faust

from actions.channels import MessageChannel, channel_for
from actions.executor import (
    Execution,
    duplicate_record,
    execute,
    finish_send,
    message_record,
    result_record,
)
from actions.sending import Sender
from core.worker.services import WorkerServices
from core.worker.wire import Outputs, decode_event, each_batch, raw_topic
from schemas.commands import ActionCommand, commands_of
from schemas.config import Channel
from schemas.leads import LeadState, SendIntents
from schemas.topics import COMMANDS, HISTORY

#: Leads whose commands run at the same time within a batch (each one's in order).
LEADS_AT_ONCE = 64


#: A lead to write: (store partition, lead key, the lead as its commands left it).
LeadWrite = tuple[int, str, LeadState | None]
#: A lead's intents to write once its lead is stored (None deletes them).
IntentsWrite = tuple[int, str, SendIntents | None]


@dataclass(slots=True)
class LeadRun:
    """What one lead's commands of a batch leave to store: the lead (if it changed),
    then its send intents (if they changed)."""

    lead: LeadWrite | None = None
    intents: IntentsWrite | None = None


def register_executor_agent(app: faust.App, services: WorkerServices) -> None:
    sender = Sender(services.settings.send_give_up_seconds)

    @app.agent(raw_topic(app, COMMANDS.name), name="execute-commands")
    async def execute_commands(stream: faust.StreamT) -> None:
        await services.ready.wait()
        await each_batch(
            stream,
            partial(handle_commands, services, sender),
            "commands not executed",
            services.settings.worker_batch_wait_ms / 1000,
        )


async def handle_commands(
    services: WorkerServices, sender: Sender, events: Sequence[faust.EventT]
) -> None:
    by_lead: defaultdict[tuple[int, str], list[ActionCommand]] = defaultdict(list)
    for event in events:
        record = decode_event(COMMANDS, event)
        if record is None:
            continue
        for command in commands_of(record):
            by_lead[(event.message.partition, command.lead_key)].append(command)
    #: The batch's leads and their intents as stored, read at once (each lead is worked
    #: on by one ``run_lead`` of this batch, which reads them before writing them).
    stored, intents = await asyncio.gather(
        services.leads.read(by_lead), services.sends.read(by_lead)
    )
    slots = asyncio.Semaphore(LEADS_AT_ONCE)
    #: The history records of every lead of the batch, produced once all are settled.
    outputs = services.outputs()

    async def run(partition: int, commands: list[ActionCommand]) -> LeadRun:
        async with slots:
            key = (partition, commands[0].lead_key)
            return await run_lead(
                services, sender, partition, commands, stored.get(key), outputs, intents.get(key)
            )

    settled = await asyncio.gather(
        *(run(partition, cmds) for (partition, _), cmds in by_lead.items())
    )
    # Every changed lead in one write (journaled when this returns), then its records.
    written = await services.leads.stage_many([done.lead for done in settled if done.lead])
    await asyncio.gather(outputs.acknowledged(), written)
    # Only now that the leads hold their outcomes: their intents, trimmed.
    trimmed = [done.intents for done in settled if done.intents]
    if trimmed:
        await (await services.sends.stage_many(trimmed))


async def run_lead(
    services: WorkerServices,
    sender: Sender,
    partition: int,
    commands: list[ActionCommand],
    lead: LeadState | None,
    outputs: Outputs,
    intents: SendIntents | None = None,
) -> LeadRun:
    """One lead's commands of a batch, in order, worked on one copy of the lead (``lead``,
    as stored when the batch began; None: a new lead), with its stored ``intents``.

    The lead is written once at the end, with every outcome: returned (unless nothing
    changed) for the caller to write with the batch's other leads, then its intents
    trimmed. The commands' history records are added to ``outputs``, which the caller
    produces once every lead of the batch is written (so the lead is in the journal
    before its records leave), and the commands are done when the leads' write and the
    records are acknowledged. A send's intent, stored before its channel is called,
    carries the answers of the lead's sends before it. Any write may be lost in a crash
    with the records: the commands whose outcome the stored lead lacks run again (or
    are settled from their intents), the others are recognised and write their records
    again from it. (Writing per command took four acknowledged writes for a tag, a
    field and a message; this takes a lead's write and a few ids.)"""
    key = commands[0].lead_key
    run = LeadRun()
    changed = False
    pending = intents or SendIntents()
    written = intents is not None
    settled: list[tuple[ActionCommand, Execution]] = []
    for command in commands:
        record = services.view.state.channel(command.account_id)
        channel = _channel(services, record)
        execution = execute(lead, command, channel.name, pending)
        if execution.outgoing is not None:
            execution, pending, called = await _send(
                services, sender, partition, command, execution, channel, record, lead, pending
            )
            written = written or called
        if execution.changed:
            lead, changed = execution.lead, True
        settled.append((command, execution))
    for command, execution in settled:
        if (message := message_record(command, execution.outcome)) is not None:
            outputs.add(HISTORY, command.command_id, message)
        outputs.add(HISTORY, command.command_id, result_record(command, execution.outcome))
        if execution.duplicate:
            outputs.add(HISTORY, command.command_id, duplicate_record(command))
    if changed:
        run.lead = (partition, key, lead)
    left = pending.unstored(lead)
    if written and left != intents:
        run.intents = (partition, key, None if left.empty else left)
    return run


async def _send(
    services: WorkerServices,
    sender: Sender,
    partition: int,
    command: ActionCommand,
    execution: Execution,
    channel: MessageChannel,
    record: Channel | None,
    lead: LeadState | None,
    intents: SendIntents,
) -> tuple[Execution, SendIntents, bool]:
    """Paced, intent stored (``intents`` with this send started), channel called (asked
    again only while the provider proves it did not take the message): the outcome
    (stored with the lead by the caller; ``lead``: as the commands before it left it),
    the intents as they now stand, and whether they were written."""
    assert execution.outgoing is not None
    # Any change of the channel config (a PUT) is a new updated_at.
    config = record.updated_at if record is not None else None
    refused = sender.refusal(command.account_id, config)
    if refused is not None:
        return finish_send(execution, lead, command, channel.name, refused), intents, False
    settings = record.settings if record else None
    await sender.pace(command.account_id, command.phone, settings, services.commands_share)
    started = intents.started(command.command_id)
    await services.sends.put(partition, command.lead_key, started)
    delivery = await sender.deliver(channel, command, execution.outgoing, execution.lead)
    sender.remember(command.account_id, config, delivery)
    done = finish_send(execution, lead, command, channel.name, delivery)
    return done, started.answered(command.command_id, done.outcome), True


def _channel(services: WorkerServices, record: Channel | None) -> MessageChannel:
    assert services.http is not None, "services not started"
    return channel_for(record.settings if record is not None else None, services.http)
