"""Lead state, kept by the executors on the compacted topic ``hookline.leads``
(key ``<account_id>:<phone>``), mirrored to ClickHouse for the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.types import E164, Id, utcnow

#: How many applied command ids a lead remembers for at-most-once execution.
APPLIED_COMMANDS_KEPT = 500


class LeadState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: Id
    phone: E164
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)
    #: Recent command ids already applied (oldest first), bounded.
    applied: list[str] = Field(default_factory=list)
    #: Send commands whose channel call has started and whose outcome is not recorded
    #: yet: written before the channel is called, so after a crash the executor knows
    #: the message may have gone and never calls the channel for it again.
    sending: list[str] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0
