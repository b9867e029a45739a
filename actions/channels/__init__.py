"""Message channels: how a send action reaches a lead's WhatsApp.

A channel is one small class (``name`` + ``async send``), one module each, registered
with ``@channel(<its settings model>)`` and built from the account's channel config
by :func:`channel_for`. Modules are found by listing this package (no list to keep);
every channel type of ``schemas/channels.py`` must have one, checked on import.

``send`` makes one request and never raises for a provider's answer: every answer is
classified into a :class:`Delivery` (``base.py``). The executor calls a channel at
most once per command id after recording its intent (``actions/agent.py``); the
sender (``actions/sending.py``) asks again only when the answer proves the message was
not taken, with the same idempotency key where the provider takes one."""

from __future__ import annotations

import importlib
import pkgutil

import aiohttp
from pydantic import BaseModel

from actions.channels.base import Delivery, MessageChannel, TemplateChannel, channel_factories
from actions.channels.generic_http import GenericHttpChannel
from actions.channels.recording import RecordingChannel

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

#: Every channel by its settings model (all channel types: checked here, on import).
CHANNELS = channel_factories()

__all__ = [
    "CHANNELS",
    "Delivery",
    "GenericHttpChannel",
    "MessageChannel",
    "RecordingChannel",
    "TemplateChannel",
    "channel_for",
]


def channel_for(settings: BaseModel | None, session: aiohttp.ClientSession) -> MessageChannel:
    """The channel an account's settings describe (none set: recording)."""
    if settings is None:
        return RecordingChannel()
    return CHANNELS[type(settings)](settings, session)
