"""Applying one command to one lead, at most once.

The lead remembers the ids of the commands it has applied (bounded), and the
new state and that memory are written together as one record, so a redelivered
command is recognised however often it comes back."""

from __future__ import annotations

from dataclasses import dataclass

# Importing the executor modules registers them.
from actions import fields, messages, tags  # noqa: F401
from actions.registry import Outgoing, executor_for
from schemas.commands import ActionCommand
from schemas.history import CommandResult
from schemas.leads import APPLIED_COMMANDS_KEPT, LeadState
from schemas.types import utcnow


@dataclass
class Execution:
    lead: LeadState
    result: CommandResult
    outgoing: Outgoing | None = None
    changed: bool = False


def _result(command: ActionCommand, status: str, detail: str = "") -> CommandResult:
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
