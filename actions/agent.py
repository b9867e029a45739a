"""The executor agent: commands in; lead state, messages and results out.

Lead state lives in a :class:`core.worker.store.PartitionStore` on the compacted topic
``hookline.leads`` (co-partitioned with ``hookline.commands``, so one worker owns a
lead), which the history sink mirrors to ClickHouse.

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
  (``sending``), then calls the channel with the command id as idempotency key,
  asking again only while the provider proves it did not take the message
  (``actions/sending.py``), then stores the outcome. Killed before the intent is
  stored: the channel was not called and the command runs again. Killed after: the
  command is settled as ``unknown`` and the channel is never called again for it
  (``actions.executor.interrupted_send``). An account whose credentials were refused
  is not called at all (no intent) until its channel config changes."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from functools import partial

import faust

from actions.channels import MessageChannel, channel_for
from actions.executor import (
    Execution,
    begin_send,
    duplicate_record,
    execute,
    finish_send,
    message_record,
    refused_send,
    result_record,
)
from actions.sending import Sender
from core.worker.services import WorkerServices
from core.worker.wire import Outputs, decode_event, each_batch, raw_topic
from schemas.commands import ActionCommand, commands_of
from schemas.config import Channel
from schemas.leads import LeadState
from schemas.topics import COMMANDS, HISTORY

#: Leads whose commands run at the same time within a batch (each one's in order).
LEADS_AT_ONCE = 64


#: A lead to write: (store partition, lead key, the lead as its commands left it).
LeadWrite = tuple[int, str, LeadState | None]


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
    #: The batch's leads as stored, read at once (each lead is worked on by one
    #: ``run_lead`` of this batch, which reads it before writing it).
    stored = await services.leads.read(by_lead)
    slots = asyncio.Semaphore(LEADS_AT_ONCE)
    #: The history records of every lead of the batch, produced once all are settled.
    outputs = services.outputs()

    async def run(partition: int, commands: list[ActionCommand]) -> LeadWrite | None:
        async with slots:
            lead = stored.get((partition, commands[0].lead_key))
            return await run_lead(services, sender, partition, commands, lead, outputs)

    settled = await asyncio.gather(
        *(run(partition, cmds) for (partition, _), cmds in by_lead.items())
    )
    # Every changed lead in one write (journaled when this returns), then its records.
    stored = await services.leads.stage_many([write for write in settled if write])
    await asyncio.gather(outputs.acknowledged(), stored)


async def run_lead(
    services: WorkerServices,
    sender: Sender,
    partition: int,
    commands: list[ActionCommand],
    lead: LeadState | None,
    outputs: Outputs,
) -> LeadWrite | None:
    """One lead's commands of a batch, in order, worked on one copy of the lead (``lead``,
    as stored when the batch began; None: a new lead).

    The lead is written once at the end, with every outcome: returned (None if nothing
    changed) for the caller to write with the batch's other leads. The commands'
    history records are added to ``outputs``, which the caller produces once every
    lead of the batch is written (so the lead is in the journal before its records
    leave), and the commands are done when the leads' write and the records are
    acknowledged. A send's intent, which must be stored before its channel is called,
    carries the changes made before it. Either write may be lost in a crash with the
    records: the commands whose outcome the stored lead lacks run again, the others
    are recognised and write their records again from it. (Writing per command took
    four acknowledged writes for a tag, a field and a message; this takes two.)"""
    key = commands[0].lead_key
    changed = False
    settled: list[tuple[ActionCommand, Execution]] = []
    for command in commands:
        record = services.view.state.channel(command.account_id)
        channel = _channel(services, record)
        execution = execute(lead, command, channel.name)
        if execution.outgoing is not None:
            execution = await _send(
                services, sender, partition, command, execution, channel, record, lead
            )
        if execution.changed:
            lead, changed = execution.lead, True
        settled.append((command, execution))
    for command, execution in settled:
        if (message := message_record(command, execution.outcome)) is not None:
            outputs.add(HISTORY, command.command_id, message)
        outputs.add(HISTORY, command.command_id, result_record(command, execution.outcome))
        if execution.duplicate:
            outputs.add(HISTORY, command.command_id, duplicate_record(command))
    return (partition, key, lead) if changed else None


async def _send(
    services: WorkerServices,
    sender: Sender,
    partition: int,
    command: ActionCommand,
    execution: Execution,
    channel: MessageChannel,
    record: Channel | None,
    lead: LeadState | None,
) -> Execution:
    """Paced, intent stored (``lead``, the lead as the commands before it left it,
    with the intent), channel called (asked again only while the provider proves it
    did not take the message), outcome returned (stored by the caller)."""
    assert execution.outgoing is not None
    # Any change of the channel config (a PUT) is a new updated_at.
    config = record.updated_at if record is not None else None
    refused = sender.refusal(command.account_id, config)
    if refused is not None:
        return refused_send(execution, lead, command, channel.name, refused)
    settings = record.settings if record else None
    await sender.pace(command.account_id, command.phone, settings, services.commands_share)
    intent = begin_send(lead, command)
    await services.leads.put(partition, command.lead_key, intent)
    delivery = await sender.deliver(channel, command, execution.outgoing, execution.lead)
    sender.remember(command.account_id, config, delivery)
    return finish_send(execution, intent, command, channel.name, delivery)


def _channel(services: WorkerServices, record: Channel | None) -> MessageChannel:
    assert services.http is not None, "services not started"
    return channel_for(record.settings if record is not None else None, services.http)
