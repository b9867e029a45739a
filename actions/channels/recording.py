"""The default channel of ``hookline dev`` and the tests: it records the message
(``GET /api/leads/{phone}/messages`` lists it, labelled ``recording``) and sends
nothing anywhere."""

from __future__ import annotations

from actions.channels.base import Delivery
from schemas.actions import Outgoing
from schemas.commands import ActionCommand
from schemas.leads import LeadState


class RecordingChannel:
    name = "recording"

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        return Delivery("sent", "recorded only: no message channel configured")
