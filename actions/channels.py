"""Message channels. A channel delivers an :class:`Outgoing` to a lead; the
default one only records it (the record is what ``GET /api/leads/{phone}/messages``
lists). A WhatsApp channel implements the same two members."""

from __future__ import annotations

from typing import Protocol

from actions.registry import Outgoing
from schemas.commands import ActionCommand
from schemas.history import MessageSent


class MessageChannel(Protocol):
    name: str

    async def send(self, command: ActionCommand, outgoing: Outgoing) -> MessageSent: ...


class RecordingChannel:
    name = "recording"

    async def send(self, command: ActionCommand, outgoing: Outgoing) -> MessageSent:
        return MessageSent(
            command_id=command.command_id,
            account_id=command.account_id,
            phone=command.phone,
            channel=self.name,
            message_type=outgoing.message_type,
            content=outgoing.content,
        )
