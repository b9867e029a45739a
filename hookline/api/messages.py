"""Failed messages: the account's messages that did not (surely) reach their lead, and
sending them again.

A message and the commands that sent it again form a chain (``retry_of`` names the
first attempt's command id); the list shows each chain whose latest attempt failed
(``failed``: not delivered) or may have been delivered (``unknown``), with the reason.

Sending one again produces a *new* command on ``hookline.commands``, ``<first command
id>-r<n>`` (n: the chain's attempts so far), with the same parameters: the executor
calls a channel at most once per command id, so two clicks (or two "retry all") before
the first retry ran produce the same id and one message. Each retry is a new message
in history, linked to the first by ``retry_of``.

In ``hookline dev`` a retry command is not journaled (the broker keeps it in memory):
a retry lost with a killed ``hookline dev`` still shows in this list, to retry again."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaError

from hookline.api.call import ApiError, Call, not_found
from schemas.api import (
    FailedMessageList,
    FailedMessageOut,
    LimitQuery,
    RetryAll,
    RetryList,
    RetryOut,
)
from schemas.commands import ActionCommand
from schemas.topics import COMMANDS
from schemas.types import utcnow

PRODUCE_TIMEOUT_SECONDS = 5.0


def retry_command(chain: dict[str, Any]) -> ActionCommand:
    """The command that sends a chain's message again."""
    latest = ActionCommand.model_validate_json(chain["command_json"])
    first = chain["first_command_id"]
    return latest.model_copy(
        update={
            "command_id": f"{first}-r{chain['attempts']}",
            "retry_of": first,
            "created_at": utcnow(),
        }
    )


async def _send_again(call: Call, chain: dict[str, Any]) -> RetryOut:
    if not chain["command_json"]:
        raise ApiError(409, f"message {chain['command_id']} was stored without its command")
    command = retry_command(chain)
    try:
        await asyncio.wait_for(
            call.runtime.producer.send_and_wait(
                COMMANDS.name, key=command.lead_key.encode(), value=COMMANDS.encode([command])
            ),
            PRODUCE_TIMEOUT_SECONDS,
        )
    except (KafkaError, TimeoutError, OSError) as exc:
        raise ApiError(503, f"broker unavailable: {type(exc).__name__}") from exc
    return RetryOut(
        command_id=command.command_id, retry_of=command.retry_of or "", phone=command.phone
    )


async def failed_messages(call: Call) -> FailedMessageList:
    query: LimitQuery = call.query
    rows = await call.history.message_chains(call.account.id, query.limit)
    return FailedMessageList(items=[FailedMessageOut.from_row(r) for r in rows])


async def retry_message(call: Call) -> RetryOut:
    """Send one failed message again (its command id, or any of its chain's)."""
    command_id = call.path("command_id")
    chains = await call.history.message_chains(
        call.account.id, 1, failed_only=False, containing=command_id
    )
    if not chains:
        raise not_found("message")  # another account's command id looks unknown too
    (chain,) = chains
    if chain["status"] == "sent":
        raise ApiError(409, f"message {chain['command_id']} was sent: not sending it again")
    return await _send_again(call, chain)


async def retry_failed(call: Call) -> RetryList:
    """Send every listed message again (``unknown`` ones only when asked)."""
    body: RetryAll = call.body
    chains = await call.history.message_chains(call.account.id, body.limit)
    items = [
        await _send_again(call, chain)
        for chain in chains
        if chain["command_json"] and (chain["status"] == "failed" or body.include_unknown)
    ]
    return RetryList(retried=len(items), items=items)
