"""What every channel implements and returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from schemas.actions import Outgoing
from schemas.commands import ActionCommand
from schemas.leads import LeadState

DeliveryStatus = Literal["sent", "failed", "unknown"]


@dataclass(frozen=True)
class Delivery:
    """A provider's answer to one send: ``sent`` (with its message id when it gives
    one), ``failed`` (it said no, or could not be reached: the message did not go),
    or ``unknown`` (asked, but no answer: it may have gone; never asked again)."""

    status: DeliveryStatus
    detail: str = ""
    provider_message_id: str = ""


class MessageChannel(Protocol):
    #: Shown with every message it sent (``recording`` means nothing left the machine).
    name: str

    async def send(
        self, command: ActionCommand, outgoing: Outgoing, lead: LeadState
    ) -> Delivery: ...
