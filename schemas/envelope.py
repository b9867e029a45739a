"""What the gateway writes to ``hookline.webhooks``: one accepted HTTP request.

The raw body travels as bytes (base64 in JSON) so signatures can be re-checked
and payloads replayed byte for byte. The parsed body is not carried: it is
derived from the raw bytes by one pure function (:func:`core.body.parse_body`)
wherever it is needed, which keeps messages half the size and means the two
can never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.types import Id


class WebhookEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    request_id: str = Field(min_length=1, max_length=64)
    integration_id: Id
    account_id: Id
    received_at: datetime
    method: str = "POST"
    kind: Literal["event", "ping"] = "event"
    content_type: str | None = None
    #: Lower-cased header names; credentials (signatures, tokens, cookies) removed.
    headers: dict[str, str] = Field(default_factory=dict)
    #: Query string as key -> values (repeated keys keep every value).
    query: dict[str, list[str]] = Field(default_factory=dict)
    body: bytes = b""
    #: The platform's delivery/event id where one exists, else a hash of the body.
    delivery_id: str | None = None
