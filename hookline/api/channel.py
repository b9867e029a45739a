"""The account's message channel: how its send actions reach WhatsApp.

One per account (config record ``channel:<account id>``); none set means
``recording`` (messages are recorded, nothing is sent). Credentials (header
values) are write-only: the answer names the headers, never their values."""

from __future__ import annotations

from hookline.api.call import Call
from schemas.api import ChannelIn, ChannelOut
from schemas.channels import ChannelSettings, GenericHttpSettings, RecordingSettings
from schemas.config import Channel
from schemas.types import utcnow


def channel_out(settings: ChannelSettings, record: Channel | None) -> ChannelOut:
    updated_at = record.updated_at if record is not None else None
    match settings:
        case GenericHttpSettings():
            return ChannelOut(
                type=settings.type,
                url=str(settings.url),
                header_names=sorted(settings.headers),
                timeout_seconds=settings.timeout_seconds,
                delivers=True,
                updated_at=updated_at,
            )
        case _:
            return ChannelOut(type=settings.type, delivers=False, updated_at=updated_at)


async def get_channel(call: Call) -> ChannelOut:
    record = call.state.channel(call.account.id)
    return channel_out(record.settings if record else RecordingSettings(), record)


async def put_channel(call: Call) -> ChannelOut:
    body: ChannelIn = call.body
    account_id = call.account.id
    current = call.state.channel(account_id)
    record = Channel(
        id=account_id,
        account_id=account_id,
        settings=body.root,
        created_at=current.created_at if current else utcnow(),
    )
    await call.runtime.writer.put(record)
    return channel_out(record.settings, record)
