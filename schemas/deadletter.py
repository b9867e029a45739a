"""Dead letters: webhooks that could not be mapped, kept with the reason so they
can be replayed once the mapping is fixed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schemas.envelope import WebhookEnvelope
from schemas.types import utcnow


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    envelope: WebhookEnvelope
    reason: str
    errors: list[str] = Field(default_factory=list)
    source_topic: str
    source_partition: int
    source_offset: int
    failed_at: datetime = Field(default_factory=utcnow)
