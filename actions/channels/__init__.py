"""Message channels: how a send action reaches a lead's WhatsApp.

A channel is one small class (``name`` + ``async send``), one module each, built
from the account's channel config by :func:`channel_for`. ``send`` never raises
for a provider's answer: every answer is classified into a :class:`Delivery`.
The executor calls ``send`` at most once per command id (it records the intent
first, see ``actions/agent.py``), and each channel passes the command id to the
provider as an idempotency key where the provider takes one."""

from __future__ import annotations

import aiohttp

from actions.channels.base import Delivery, MessageChannel
from actions.channels.generic_http import GenericHttpChannel
from actions.channels.recording import RecordingChannel
from schemas.channels import ChannelSettings, GenericHttpSettings

__all__ = ["Delivery", "GenericHttpChannel", "MessageChannel", "RecordingChannel", "channel_for"]


def channel_for(settings: ChannelSettings | None, session: aiohttp.ClientSession) -> MessageChannel:
    """The channel an account's settings describe (none set: recording)."""
    match settings:
        case GenericHttpSettings():
            return GenericHttpChannel(
                session, str(settings.url), settings.headers, settings.timeout_seconds
            )
        case _:
            return RecordingChannel()
