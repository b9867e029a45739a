"""What every channel implements and returns, and the registry of channels.

A channel makes one request per :meth:`MessageChannel.send` and classifies the
provider's answer into a :class:`Delivery`; it never raises for an answer, and never
asks again itself. Asking again (``retryable``, ``rate_limited``), the template
fallback (``window_closed``), giving up and pacing are the sender's
(``actions/sending.py``), the same for every channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

import aiohttp
from pydantic import BaseModel

from schemas.actions import Outgoing, WhatsAppTemplate
from schemas.channels import CHANNEL_SETTINGS, FailureReason
from schemas.commands import ActionCommand
from schemas.leads import LeadState

#: The provider's answer, classified: ``sent`` or one of the failure reasons.
Verdict = Literal["sent"] | FailureReason
#: What the message history says of it.
DeliveryStatus = Literal["sent", "failed", "unknown"]


@dataclass(frozen=True)
class Delivery:
    """One answer, classified:

    - ``sent``: taken (with the provider's message id when it gives one);
    - ``retryable``: not taken, worth asking again (5xx, or no connection was made);
    - ``rate_limited``: not taken, ask again later (HTTP 429 and the providers' own
      codes), after ``retry_after`` seconds when the provider says;
    - ``window_closed``: WhatsApp refuses free text outside the 24-hour window (a
      pre-approved template may be sent instead);
    - ``invalid_recipient``: the phone cannot receive WhatsApp messages;
    - ``auth``: the credentials were refused (nothing will go until they change);
    - ``fatal``: refused for any other reason (asking again would not help);
    - ``unknown``: asked, but no answer (a timeout after the request was sent): it may
      have been delivered, so it is never asked again."""

    verdict: Verdict
    detail: str = ""
    provider_message_id: str = ""
    retry_after: float | None = None

    @classmethod
    def sent(cls, provider_message_id: str = "", detail: str = "") -> Delivery:
        return cls("sent", detail, provider_message_id)

    @classmethod
    def failed(
        cls, reason: FailureReason, detail: str, retry_after: float | None = None
    ) -> Delivery:
        return cls(reason, detail, retry_after=retry_after)

    @property
    def status(self) -> DeliveryStatus:
        if self.verdict in ("sent", "unknown"):
            return self.verdict  # type: ignore[return-value]
        return "failed"

    @property
    def reason(self) -> str:
        """The failure reason, "" when sent."""
        return "" if self.verdict == "sent" else self.verdict

    @property
    def worth_retrying(self) -> bool:
        """The provider did not take it, and may later: ask again (same idempotency key)."""
        return self.verdict in ("retryable", "rate_limited")


class MessageChannel(Protocol):
    #: Shown with every message it sent (``recording`` means nothing left the machine).
    name: str

    async def send(
        self, command: ActionCommand, outgoing: Outgoing, lead: LeadState
    ) -> Delivery: ...


@runtime_checkable
class TemplateChannel(Protocol):
    """A channel that can send a pre-approved WhatsApp template: what a message falls
    back to when the provider answers ``window_closed``."""

    name: str

    async def send(
        self, command: ActionCommand, outgoing: Outgoing, lead: LeadState
    ) -> Delivery: ...

    async def send_template(
        self, command: ActionCommand, template: WhatsAppTemplate, lead: LeadState
    ) -> Delivery: ...


#: Builds a channel from its settings and the worker's one HTTP session.
ChannelFactory = Callable[[Any, aiohttp.ClientSession], MessageChannel]
_CHANNELS: dict[type[BaseModel], ChannelFactory] = {}
C = TypeVar("C")


def channel(settings: type[BaseModel]) -> Callable[[C], C]:
    """Register the channel class built from ``settings`` (one per channel type)."""

    def register(cls: C) -> C:
        if settings in _CHANNELS:
            raise ValueError(f"two channels for {settings.__name__}")
        _CHANNELS[settings] = cls  # type: ignore[assignment]
        return cls

    return register


def channel_factories() -> dict[type[BaseModel], ChannelFactory]:
    """Every registered channel by its settings model; every channel type must have one."""
    missing = [s.__name__ for s in CHANNEL_SETTINGS if s not in _CHANNELS]
    if missing:
        raise RuntimeError(f"channel types without a channel module: {', '.join(missing)}")
    return dict(_CHANNELS)
