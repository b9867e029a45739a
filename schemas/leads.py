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
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0
