"""Applying one command to one lead, at most once. Pure: the agent
(``actions/agent.py``) stores the leads and calls the channels.

The lead remembers the ids of the commands it has applied (bounded), and the
new state and that memory are written together as one record, so a redelivered
command is recognised however often it comes back.

A send takes two writes around the channel call: :func:`begin_send` records the
intent (the command id in ``sending``) before the call, :func:`finish_send` the
outcome after it. A command found in ``sending`` was interrupted in between:
:func:`interrupted_send` settles it as ``unknown`` without calling the channel
again (it may have been delivered)."""

from __future__ import annotations

from dataclasses import dataclass

# Importing the executor modules registers them.
from actions import fields, messages, tags  # noqa: F401
from actions.channels.base import Delivery
from actions.registry import Outgoing, executor_for
from schemas.commands import ActionCommand
from schemas.history import CommandResult
from schemas.leads import APPLIED_COMMANDS_KEPT, LeadState
from schemas.types import utcnow


@dataclass
class Execution:
    lead: LeadState
    result: CommandResult
    #: The message to hand to the channel now.
    outgoing: Outgoing | None = None
    changed: bool = False
    #: The message of a send settled as ``unknown`` (not handed to the channel again).
    interrupted: Outgoing | None = None


def _result(command: ActionCommand, status: str, detail: str = "") -> CommandResult:
    """The command's outcome record."""
    return CommandResult(
        command_id=command.command_id,
        account_id=command.account_id,
        integration_id=command.integration_id,
        request_id=command.request_id,
        phone=command.phone,
        type=command.type,
        status=status,  # type: ignore[arg-type]
        detail=detail,
    )


def execute(lead: LeadState | None, command: ActionCommand) -> Execution:
    current = lead or LeadState(account_id=command.account_id, phone=command.phone)
    if command.command_id in current.applied:
        return Execution(current, _result(command, "duplicate", "already applied"))
    if command.command_id in current.sending:
        return interrupted_send(current, command)
    updated = current.model_copy(deep=True)
    try:
        outgoing = executor_for(command.type)(updated, command)
    except (KeyError, TypeError, ValueError) as exc:
        return Execution(current, _result(command, "failed", str(exc)))
    if command.lead_name:
        updated.name = command.lead_name
    updated.applied = [*updated.applied, command.command_id][-APPLIED_COMMANDS_KEPT:]
    updated.updated_at = utcnow()
    updated.version = current.version + 1
    return Execution(updated, _result(command, "applied"), outgoing, changed=True)


def _next(lead: LeadState, **changes: object) -> LeadState:
    """A new version of ``lead`` with ``changes``."""
    return lead.model_copy(
        update={**changes, "version": lead.version + 1, "updated_at": utcnow()}, deep=True
    )


def begin_send(lead: LeadState | None, command: ActionCommand) -> LeadState:
    """The lead with the send's intent recorded: stored before the channel is called."""
    current = lead or LeadState(account_id=command.account_id, phone=command.phone)
    return _next(current, sending=[*current.sending, command.command_id])


def finish_send(execution: Execution, intent: LeadState, delivery: Delivery) -> Execution:
    """``execution`` (from :func:`execute`) once the channel answered ``delivery``: the
    lead as the command left it, intent cleared, one version after ``intent``."""
    command_id = execution.result.command_id
    lead = execution.lead.model_copy(
        update={
            "sending": [c for c in intent.sending if c != command_id],
            "version": intent.version + 1,
        }
    )
    status = "applied" if delivery.status == "sent" else delivery.status
    result = execution.result.model_copy(update={"status": status, "detail": delivery.detail})
    return Execution(lead, result, execution.outgoing, changed=True)


def interrupted_send(lead: LeadState, command: ActionCommand) -> Execution:
    """Settle a send whose intent was recorded but not its outcome: ``unknown``."""
    updated = _next(
        lead,
        sending=[c for c in lead.sending if c != command.command_id],
        applied=[*lead.applied, command.command_id][-APPLIED_COMMANDS_KEPT:],
    )
    detail = "interrupted after the channel was called; not sent again (may have been delivered)"
    message = executor_for(command.type)(lead.model_copy(deep=True), command)
    return Execution(
        updated, _result(command, "unknown", detail), changed=True, interrupted=message
    )
