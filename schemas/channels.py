"""An account's message channel settings: one model per channel type, picked by
``type`` (what ``PUT /api/account/channel`` takes and the config record holds).

Each model is registered with ``@channel_settings``; the union the API and the config
record validate with, :data:`CHANNEL_TYPES` and the channels built from them
(``actions/channels/``, one module per type, checked at import) all derive from that
registry. Adding a channel type is adding a model here and a module there.

Credentials are fields marked :data:`~schemas.types.Secret`: write-only in the API
(``GET`` names which are set, never their values) and fingerprinted in the config
audit log. Base URLs are settings, so tests point them at a local server."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from schemas.types import Secret

#: Why a message did not (surely) reach the lead: the provider's answer as the channel
#: classified it (``actions/channels/base.py``). ``rate_limited`` and ``retryable`` are
#: final only once the send gave up asking again; ``unknown``: asked, no answer, it may
#: have been delivered (never asked again).
FailureReason = Literal[
    "retryable", "rate_limited", "window_closed", "invalid_recipient", "auth", "fatal", "unknown"
]

#: A path segment (instance or phone number id) or token: no white space, no slash.
PathSegment = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s/]+$")]
Credential = Annotated[str, Field(min_length=1, max_length=4096), Secret]

_SETTINGS: dict[str, type[BaseModel]] = {}


def channel_settings(cls: type[BaseModel]) -> type[BaseModel]:
    """Register a channel type's settings under its ``type`` literal (once)."""
    (name,) = cls.model_fields["type"].annotation.__args__  # type: ignore[union-attr]
    if name in _SETTINGS:
        raise ValueError(f"channel type {name!r} already registered")
    _SETTINGS[name] = cls
    return cls


@channel_settings
class RecordingSettings(BaseModel):
    """Nothing is sent: messages are only recorded (``hookline dev``, tests)."""

    model_config = ConfigDict(extra="forbid")
    #: False: nothing leaves the machine (so nothing is paced either).
    delivers: ClassVar[bool] = False
    type: Literal["recording"] = "recording"


class _Delivering(BaseModel):
    """What every channel that really sends shares: its request timeout and its pacing."""

    model_config = ConfigDict(extra="forbid")
    delivers: ClassVar[bool] = True
    #: Longest wait for one answer. Past it the message may have gone: it is settled
    #: ``unknown`` and never asked again.
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    #: The account's sends per second, whatever the number of leads at once (in each
    #: worker process), so a burst of webhooks does not flood the WhatsApp number.
    messages_per_second: float = Field(default=20.0, gt=0, le=10_000)
    #: Least time between two messages to one phone.
    recipient_gap_seconds: float = Field(default=1.0, ge=0, le=60)


@channel_settings
class GenericHttpSettings(_Delivering):
    """POST every message as JSON to ``url`` (see ``actions/channels/generic_http.py``)."""

    type: Literal["generic_http"]
    url: AnyHttpUrl
    #: Sent with every request, e.g. ``{"Authorization": "Bearer ..."}``. Write-only.
    headers: Annotated[dict[str, Annotated[str, Field(max_length=4096)]], Secret] = Field(
        default_factory=dict, max_length=20
    )


@channel_settings
class WhatsAppCloudSettings(_Delivering):
    """Meta's WhatsApp Cloud API (``actions/channels/whatsapp_cloud.py``)."""

    type: Literal["whatsapp_cloud"]
    phone_number_id: PathSegment
    #: A system user's access token (``Authorization: Bearer``). Write-only.
    access_token: Credential
    api_version: str = Field(default="v23.0", pattern=r"^v\d+\.\d+$")
    base_url: AnyHttpUrl = AnyHttpUrl("https://graph.facebook.com")
    #: Language of the templates a ``chatbot`` message starts (its flow names one).
    template_language: str = Field(default="pt_BR", min_length=2, max_length=15)


@channel_settings
class EvolutionSettings(_Delivering):
    """An Evolution API v2 server (self-hosted: its URL is required;
    ``actions/channels/evolution.py``)."""

    type: Literal["evolution"]
    base_url: AnyHttpUrl
    instance: PathSegment
    #: The instance's token or the server's global key (``apikey`` header). Write-only.
    api_key: Credential
    #: Quick replies as WhatsApp reply buttons (``sendButtons``); off: a text listing
    #: the options (for numbers where buttons do not show).
    reply_buttons: bool = True
    #: WhatsApp Web sessions: bursts get numbers flagged.
    messages_per_second: float = Field(default=1.0, gt=0, le=10_000)


@channel_settings
class ZApiSettings(_Delivering):
    """Z-API (``actions/channels/zapi.py``)."""

    type: Literal["zapi"]
    base_url: AnyHttpUrl = AnyHttpUrl("https://api.z-api.io")
    instance_id: PathSegment
    #: The instance's token: it travels in the URL path. Write-only.
    instance_token: Annotated[PathSegment, Secret]
    #: The account's security token (``Client-Token`` header). Write-only.
    client_token: Annotated[str | None, Field(min_length=1, max_length=4096), Secret] = None
    #: WhatsApp Web sessions: bursts get numbers flagged.
    messages_per_second: float = Field(default=1.0, gt=0, le=10_000)


# -- derived from the registry (after every class above) ------------------------------
CHANNEL_TYPES: tuple[str, ...] = tuple(_SETTINGS)
CHANNEL_SETTINGS: tuple[type[BaseModel], ...] = tuple(_SETTINGS.values())
ChannelSettings = Annotated[
    Union[CHANNEL_SETTINGS],  # type: ignore[valid-type]  # noqa: UP007
    Field(discriminator="type"),
]
