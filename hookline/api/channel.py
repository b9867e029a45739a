"""The account's message channel: how its send actions reach WhatsApp.

One per account (config record ``channel:<account id>``); none set means
``recording`` (messages are recorded, nothing is sent). The answer is derived from the
settings model of the channel's type (``schemas/channels.py``): every setting but the
credentials, and the names of the credentials that are set (write-only, as integration
secrets), plus the latest message the channel did not (surely) deliver since it was
last changed, from history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hookline.api.call import Call
from hookline.history.store import HistoryStore
from schemas.api import ChannelError, ChannelIn, ChannelOut
from schemas.channels import RecordingSettings
from schemas.config import Channel
from schemas.types import secret_fields, utcnow


def credentials_set(settings: BaseModel) -> list[str]:
    """The credential fields that hold a value (a dict's keys as ``field.key``)."""
    names: list[str] = []
    for name in sorted(secret_fields(type(settings))):
        value: Any = getattr(settings, name)
        if isinstance(value, dict):
            names += [f"{name}.{key}" for key in sorted(value)]
        elif value:
            names.append(name)
    return names


def channel_out(
    settings: BaseModel, record: Channel | None, last_error: dict[str, Any] | None = None
) -> ChannelOut:
    shown = settings.model_dump(mode="json", exclude={"type", *secret_fields(type(settings))})
    error = ChannelError.from_row(last_error) if last_error else None
    return ChannelOut(
        type=settings.type,  # type: ignore[attr-defined]
        delivers=settings.delivers,  # type: ignore[attr-defined]
        settings=shown,
        credentials_set=credentials_set(settings),
        updated_at=record.updated_at if record is not None else None,
        last_error=error,
        stopped=error is not None and error.reason == "auth",
    )


async def get_channel(call: Call) -> ChannelOut:
    record = call.state.channel(call.account.id)
    last_error = None
    if record is not None and call.runtime.clickhouse is not None:
        history = HistoryStore(call.runtime.clickhouse)
        last_error = await history.last_failed_message(call.account.id, record.updated_at)
    return channel_out(record.settings if record else RecordingSettings(), record, last_error)


async def put_channel(call: Call) -> ChannelOut:
    body: ChannelIn = call.body
    account_id = call.account.id
    current = call.state.channel(account_id)
    # A new updated_at is a new channel config: a worker that stopped sending for this
    # account (refused credentials) sends again.
    record = Channel(
        id=account_id,
        account_id=account_id,
        settings=body.root,
        created_at=current.created_at if current else utcnow(),
    )
    await call.runtime.writer.put(record)
    return channel_out(record.settings, record)
