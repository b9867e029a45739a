"""Action commands: what the stream processors ask the executors to do to a lead.

Written to ``hookline.commands`` keyed by lead (``<account_id>:<phone>``) so one
executor owns a lead, one record per lead per webhook (:data:`COMMAND_RECORD`).
``command_id`` is derived from the delivery and the action, so a redelivered webhook
yields the same ids and executors apply each command at most once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.actions import ActionType
from schemas.types import E164, Id, utcnow


def command_id_for(integration_id: str, delivery_id: str, action_id: str) -> str:
    return command_ids_for(integration_id, delivery_id)(action_id)


def command_ids_for(integration_id: str, delivery_id: str) -> Callable[[str], str]:
    """:func:`command_id_for` of one delivery, by action id: the sha256 of
    ``<integration id>\\0<delivery id>\\0<action id>``, what the actions share hashed once."""
    shared = hashlib.sha256(f"{integration_id}\x00{delivery_id}\x00".encode())

    def command_id(action_id: str) -> str:
        digest = shared.copy()
        digest.update(action_id.encode())
        return digest.hexdigest()[:32]

    return command_id


def lead_key(account_id: str, phone: str) -> str:
    return f"{account_id}:{phone}"


class ActionCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command_id: str
    account_id: Id
    integration_id: Id
    request_id: str
    event_id: Id
    action_id: Id
    type: ActionType
    phone: E164
    lead_name: str | None = None
    #: The webhook's standard fields (``email``, ``document``, ...: ``streams/fields.py``),
    #: normalised: set on the lead's profile with the command, like ``lead_name``.
    profile: dict[str, str] = Field(default_factory=dict)
    #: The action's parameters, templates rendered (``schemas.actions``).
    params: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    #: A failed message sent again from the API (``<first id>-r<n>``): the command id of
    #: its first attempt.
    retry_of: str | None = None

    @property
    def lead_key(self) -> str:
        return lead_key(self.account_id, self.phone)


#: A record of ``hookline.commands``: one webhook's commands for one lead, in the order
#: they run. One record, not one per command: each record costs the broker, the
#: consumer and faust more than its decoding (about 3 -> 1 records per webhook).
#: A single command object (the record before the list, still read) is a list of one:
#: :func:`commands_of`.
COMMAND_RECORD: TypeAdapter[list[ActionCommand] | ActionCommand] = TypeAdapter(
    list[ActionCommand] | ActionCommand
)


def commands_of(record: list[ActionCommand] | ActionCommand) -> list[ActionCommand]:
    return record if isinstance(record, list) else [record]
