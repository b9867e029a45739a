"""The default channel of ``hookline dev`` and the tests: it records the message
(``GET /api/leads/{phone}/messages`` lists it, labelled ``recording``) and sends
nothing anywhere (so nothing is paced or asked again either)."""

from __future__ import annotations

import aiohttp

from actions.channels.base import Delivery, channel
from schemas.actions import Outgoing
from schemas.channels import RecordingSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState


@channel(RecordingSettings)
class RecordingChannel:
    name = "recording"

    def __init__(
        self,
        settings: RecordingSettings | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        pass

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        return Delivery.sent(detail="recorded only: no message channel configured")
