"""The executor agent: commands in; lead state, messages and results out.

Lead state is a faust table whose changelog is the compacted topic
``hookline.leads`` (co-partitioned with ``hookline.commands``), so it survives a
worker restart and the history sink mirrors it to ClickHouse."""

from __future__ import annotations

import faust

from actions.channels import MessageChannel, RecordingChannel
from actions.executor import execute
from schemas.topics import COMMANDS, HISTORY, LEADS
from streams.wire import decode_event, raw_topic, send_now


def register_executor_agent(app: faust.App, channel: MessageChannel | None = None) -> None:
    channel = channel or RecordingChannel()
    leads = app.Table(
        "leads",
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=COMMANDS.partitions,
        changelog_topic=app.topic(
            LEADS.name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=LEADS.partitions,
            compacting=True,
        ),
    )
    history = raw_topic(app, HISTORY.name)

    @app.agent(raw_topic(app, COMMANDS.name), name="execute-commands")
    async def execute_commands(stream: faust.StreamT) -> None:
        async for event in stream.events():
            command = decode_event(COMMANDS, event)
            if command is None:
                continue
            key = command.lead_key.encode()
            stored = leads.get(key)
            execution = execute(LEADS.decode(stored) if stored else None, command)
            if execution.outgoing is not None:
                message = await channel.send(command, execution.outgoing)
                await send_now(
                    history, key=command.command_id.encode(), value=HISTORY.encode(message)
                )
            if execution.changed:
                leads[key] = LEADS.encode(execution.lead)
            await send_now(
                history, key=command.command_id.encode(), value=HISTORY.encode(execution.result)
            )
