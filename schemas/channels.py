"""An account's message channel settings: one model per channel type, picked by
``type`` (what ``PUT /api/account/channel`` takes and the config record holds).
Credentials (headers, tokens) are write-only: the API never returns them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from schemas.types import Secret


class RecordingSettings(BaseModel):
    """Nothing is sent: messages are only recorded (``hookline dev``, tests)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["recording"] = "recording"


class GenericHttpSettings(BaseModel):
    """POST every message as JSON to ``url`` (see ``actions/channels/generic_http.py``)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["generic_http"]
    url: AnyHttpUrl
    #: Sent with every request, e.g. ``{"Authorization": "Bearer ..."}``. Write-only.
    headers: Annotated[dict[str, Annotated[str, Field(max_length=4096)]], Secret] = Field(
        default_factory=dict, max_length=20
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


ChannelSettings = Annotated[RecordingSettings | GenericHttpSettings, Field(discriminator="type")]
