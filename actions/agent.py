"""The executor agent: commands in; lead state, messages and results out.

Lead state lives in a :class:`streams.store.PartitionStore` on the compacted topic
``hookline.leads`` (co-partitioned with ``hookline.commands``, so one worker owns a
lead), which the history sink mirrors to ClickHouse.

The order that makes a crash at any instruction harmless:
- a tag or field command: the new lead (with the command id in ``applied``) is
  stored, then its result is produced; killed before the lead is stored, the
  command runs again; after, it is a duplicate;
- a send command: the intent is stored (``sending``), then the channel is called
  once with the command id as idempotency key, then the outcome is stored. Killed
  before the intent is stored: the channel was not called, and the command runs
  again. Killed after: the command is settled as ``unknown`` and the channel is
  never called again for it (``actions.executor.interrupted_send``)."""

from __future__ import annotations

import faust

from actions.channels import Delivery, MessageChannel, channel_for
from actions.executor import Execution, begin_send, execute, finish_send
from actions.registry import Outgoing
from schemas.commands import ActionCommand
from schemas.history import MessageSent
from schemas.topics import COMMANDS, HISTORY
from streams.services import WorkerServices
from streams.wire import Outputs, decode_event, fatal, raw_topic


def register_executor_agent(app: faust.App, services: WorkerServices) -> None:
    @app.agent(raw_topic(app, COMMANDS.name), name="execute-commands")
    async def execute_commands(stream: faust.StreamT) -> None:
        await services.ready.wait()
        async for event in stream.events():
            try:
                await handle_command(services, event)
            except Exception:
                fatal(
                    "command not executed; stopping the worker",
                    partition=event.message.partition,
                    offset=event.message.offset,
                )


async def handle_command(services: WorkerServices, event: faust.EventT) -> None:
    command: ActionCommand | None = decode_event(COMMANDS, event)
    if command is None:
        return
    partition = event.message.partition
    await services.leads.load(partition)
    stored = services.leads.get(partition, command.lead_key)
    execution = execute(stored, command)
    outputs = services.outputs()
    if execution.outgoing is not None:
        execution = await _send(services, partition, command, execution, outputs)
    elif execution.changed:
        await services.leads.put(partition, command.lead_key, execution.lead)
    if execution.interrupted is not None:
        channel = _channel(services, command.account_id)
        unknown = Delivery("unknown", execution.result.detail)
        await outputs.send(
            HISTORY, command.command_id, _message(command, channel, execution.interrupted, unknown)
        )
    await outputs.send(HISTORY, command.command_id, execution.result)
    await outputs.acknowledged()


async def _send(
    services: WorkerServices,
    partition: int,
    command: ActionCommand,
    execution: Execution,
    outputs: Outputs,
) -> Execution:
    assert execution.outgoing is not None
    intent = begin_send(services.leads.get(partition, command.lead_key), command)
    await services.leads.put(partition, command.lead_key, intent)
    channel = _channel(services, command.account_id)
    delivery = await channel.send(command, execution.outgoing, execution.lead)
    done = finish_send(execution, intent, delivery)
    await services.leads.put(partition, command.lead_key, done.lead)
    await outputs.send(
        HISTORY, command.command_id, _message(command, channel, execution.outgoing, delivery)
    )
    return done


def _channel(services: WorkerServices, account_id: str) -> MessageChannel:
    assert services.http is not None, "services not started"
    record = services.view.state.channel(account_id)
    return channel_for(record.settings if record is not None else None, services.http)


def _message(
    command: ActionCommand, channel: MessageChannel, outgoing: Outgoing, delivery: Delivery
) -> MessageSent:
    return MessageSent(
        command_id=command.command_id,
        account_id=command.account_id,
        phone=command.phone,
        channel=channel.name,
        message_type=outgoing.message_type,
        content=outgoing.content,
        status=delivery.status,
        detail=delivery.detail,
        provider_message_id=delivery.provider_message_id,
    )
