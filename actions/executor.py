"""Applying one command to one lead, at most once. Pure: the agent
(``actions/agent.py``) stores the leads, calls the channels and writes history.

The lead remembers each command it applied with its outcome (bounded), written
together with the change in one record. A command that comes back is recognised
however often it does, and its history records are written again from the
remembered outcome, identical (the first ones may have been lost in a crash
between storing the lead and producing them).

A send takes two writes around the channel call: its intent (the command id in the
lead's :class:`schemas.leads.SendIntents`, a small record of its own) before the call,
the lead with the outcome (:func:`finish_send`) after it. A command found among the
intents' ``sending`` was interrupted in between: :func:`interrupted_send` settles it as
``unknown`` without calling the channel again (it may have been delivered); one found
among their ``settled`` takes the outcome recorded there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from actions.channels.base import Delivery
from schemas.actions import SEND_ACTIONS, Outgoing, parse_params
from schemas.commands import ActionCommand
from schemas.history import CommandResult, MessageSent
from schemas.leads import CommandOutcome, LeadState, SendIntents
from schemas.types import utcnow


@dataclass
class Execution:
    lead: LeadState
    #: The outcome to record and report: of this execution, or remembered from the first.
    outcome: CommandOutcome
    #: The message to hand to the channel now (then :func:`finish_send`).
    outgoing: Outgoing | None = None
    #: Whether ``lead`` must be stored.
    changed: bool = False
    #: This command was settled before: its records are written again, and a
    #: ``duplicate`` result notes the redelivery.
    duplicate: bool = False


def execute(
    lead: LeadState | None,
    command: ActionCommand,
    channel: str = "",
    intents: SendIntents | None = None,
) -> Execution:
    """What ``command`` does to ``lead``; ``channel``: the account's message channel;
    ``intents``: the lead's sends under way (stored, or written earlier in the batch)."""
    current = lead or LeadState(account_id=command.account_id, phone=command.phone)
    if (remembered := current.outcomes.get(command.command_id)) is not None:
        return Execution(current, remembered, duplicate=True)
    if command.command_id in current.sending or (
        intents is not None and command.command_id in intents.sending
    ):
        return interrupted_send(current, command, channel)
    updated = current.editable_copy()
    try:
        outgoing = parse_params(command.type, command.params).apply(updated)
    except (ValidationError, ValueError) as exc:
        # Not applied and not remembered: the same command fails the same way again.
        return Execution(current, CommandOutcome(status="failed", detail=str(exc)))
    if command.lead_name:
        updated.name = command.lead_name
    updated.profile.update(command.profile)  # the webhook's standard fields
    if outgoing is not None:
        if intents is not None and (answered := intents.settled.get(command.command_id)):
            # Answered before a crash lost the lead's write: not sent again, and not a
            # duplicate (its records leave only once the lead holds its outcome).
            return _settled(current, updated, command, answered)
        # Settled by finish_send, once the channel answered.
        return Execution(updated, CommandOutcome(status="applied"), outgoing)
    return _settled(current, updated, command, CommandOutcome(status="applied"))


def _settled(
    current: LeadState, updated: LeadState, command: ActionCommand, outcome: CommandOutcome
) -> Execution:
    """``updated`` (a copy of ``current`` with the command's change) remembering it."""
    updated.outcomes = current.with_outcome(command.command_id, outcome)
    updated.sending = [c for c in current.sending if c != command.command_id]
    updated.updated_at = utcnow()
    updated.version = current.version + 1
    return Execution(updated, outcome, changed=True)


def finish_send(
    execution: Execution,
    lead: LeadState | None,
    command: ActionCommand,
    channel: str,
    delivery: Delivery,
) -> Execution:
    """``execution`` (from :func:`execute` on ``lead``) once ``channel`` answered
    ``delivery`` (or, with no call, said why not: e.g. the account's credentials were
    refused before): the lead as the command left it, remembering the outcome."""
    outcome = CommandOutcome(
        status="applied" if delivery.status == "sent" else delivery.status,
        detail=delivery.detail,
        channel=channel,
        provider_message_id=delivery.provider_message_id,
        reason=delivery.reason,
    )
    current = lead or LeadState(account_id=command.account_id, phone=command.phone)
    return _settled(current, execution.lead.editable_copy(), command, outcome)


def interrupted_send(lead: LeadState, command: ActionCommand, channel: str) -> Execution:
    """Settle a send whose intent was recorded but not its outcome: ``unknown``."""
    outcome = CommandOutcome(
        status="unknown",
        detail="interrupted after the channel was called; not sent again (may have been delivered)",
        channel=channel,
        reason="unknown",
    )
    return _settled(lead, lead.editable_copy(), command, outcome)


def result_record(command: ActionCommand, outcome: CommandOutcome) -> CommandResult:
    """The command's history record, as its outcome says (the same every time)."""
    return _record(command, outcome.status, outcome.detail, outcome.at)


def duplicate_record(command: ActionCommand) -> CommandResult:
    """Notes one more delivery of a command already settled."""
    return _record(command, "duplicate", "already applied", utcnow())


def _record(command: ActionCommand, status: str, detail: str, at: datetime) -> CommandResult:
    return CommandResult(
        command_id=command.command_id,
        account_id=command.account_id,
        integration_id=command.integration_id,
        request_id=command.request_id,
        phone=command.phone,
        type=command.type,
        status=status,  # type: ignore[arg-type]
        detail=detail,
        applied_at=at,
    )


def message_record(command: ActionCommand, outcome: CommandOutcome) -> MessageSent | None:
    """The message history record of a send, as its outcome says (None for other
    commands, and for a send that never reached a channel)."""
    if command.type not in SEND_ACTIONS or not outcome.channel:
        return None
    message = parse_params(command.type, command.params).apply(
        LeadState(account_id=command.account_id, phone=command.phone)
    )
    assert message is not None
    status = {"applied": "sent"}.get(outcome.status, outcome.status)
    return MessageSent(
        command_id=command.command_id,
        account_id=command.account_id,
        phone=command.phone,
        channel=outcome.channel,
        message_type=message.message_type,
        content=message.content,
        status=status,  # type: ignore[arg-type]
        reason=outcome.reason,  # type: ignore[arg-type]
        detail=outcome.detail,
        provider_message_id=outcome.provider_message_id,
        sent_at=outcome.at,
        retry_of=command.retry_of or "",
        # Kept to send it again, so only when it may need to be.
        command=command if status != "sent" else None,
    )
