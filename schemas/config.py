"""Config records, written by the management API to the compacted topic
``hookline.config`` (key ``<kind>:<id>``, tombstone = delete) and read from
there by every process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from schemas.actions import AnyActionParams
from schemas.channels import ChannelSettings, RecordingSettings
from schemas.mapping import Mapping
from schemas.signature import SignatureOptions
from schemas.types import Id, Plan, Secret, utcnow


def config_key(kind: str, record_id: str) -> str:
    """A record's key on the config topic: ``<kind>:<id>``."""
    return f"{kind}:{record_id}"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return config_key(self.kind, self.id)  # type: ignore[attr-defined]

    @property
    def owner(self) -> str:
        """The account this record belongs to (tenant isolation)."""
        return getattr(self, "account_id", None) or self.id


class Account(_Record):
    kind: Literal["account"] = "account"
    name: str = Field(min_length=1, max_length=200)
    plan: Plan
    #: sha256 hex of the API key; the key itself is shown once, at creation.
    api_key_hash: str


class UrlToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: sha256 hex of the URL token; the token itself is shown at creation and rotation.
    hash: str
    #: None while current; set when rotated away (grace period end).
    expires_at: datetime | None = None
    #: The token encrypted under the server key (core/serverkey.py), so its owner can
    #: read the URL again; None for tokens made without a server key (shown once).
    sealed: Annotated[str | None, Secret] = None


class RateLimit(BaseModel):
    """A token bucket per integration and gateway process; None takes the server default."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: Sustained requests per second.
    per_second: float | None = Field(default=None, gt=0, le=100_000)
    #: The bucket's size: how many requests may arrive at once before the rate applies.
    burst: int | None = Field(default=None, ge=1, le=1_000_000)


#: A media type such as ``text/plain; charset=utf-8`` (parameters unquoted, one line).
MediaType = Annotated[
    str, Field(max_length=200, pattern=r"^[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+-]+)*$")
]


class CustomResponse(BaseModel):
    """What the webhook URL answers instead of hookline's JSON when a request is accepted
    (events, duplicates and pings); errors keep hookline's JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: int = Field(default=200, ge=200, le=299)
    body: str = Field(default="", max_length=10_000)
    content_type: MediaType = "text/plain; charset=utf-8"

    @model_validator(mode="after")
    def _no_body_on_204(self) -> CustomResponse:
        if self.status in (204, 205) and self.body:
            raise ValueError(f"a {self.status} answer has no body")
        return self


class Integration(_Record):
    kind: Literal["integration"] = "integration"
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    platform: str = Field(default="generic", min_length=1, max_length=64)
    enabled: bool = True
    tokens: list[UrlToken]
    #: Signature/token secret for the platform's verifier; never returned by the API.
    secret: Annotated[str | None, Secret] = None
    #: Scheme override and options of the verifier (applies once a secret is set).
    signature: SignatureOptions | None = None
    rate_limit: RateLimit | None = None
    response: CustomResponse | None = None


class IntegrationMapping(_Record):
    """The mapping of one integration; ``id`` is the integration id."""

    kind: Literal["mapping"] = "mapping"
    account_id: Id
    mapping: Mapping


#: A custom field's type: how its values are checked and stored (``streams/fields.py``).
FieldType = Literal["text", "number", "date", "boolean"]


class CustomField(_Record):
    kind: Literal["custom_field"] = "custom_field"
    account_id: Id
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    #: Fields saved before types existed are text.
    type: FieldType = "text"


def _distinct(titles: list[str]) -> list[str]:
    if len({title.casefold() for title in titles}) != len(titles):
        raise ValueError("button titles must differ")
    return titles


#: A quick reply's text: a template (``Oi {{first_name}}``; ``streams/templates.py``), at
#: most WhatsApp's 1,024 characters of an interactive message's body.
QuickReplyText = Annotated[str, Field(min_length=1, max_length=1024)]
#: Reply buttons' titles: at most 3, each different, up to 20 characters (WhatsApp's rules).
Buttons = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=20)]],
    Field(max_length=3),
    AfterValidator(_distinct),
]
#: What the account's channel starts: the CRM's flow id, or the provider's template or
#: flow reference.
FlowReference = Annotated[str, Field(min_length=1, max_length=200)]
#: A chatbot's start parameters: name -> value, values templates (``{{first_name}}``).
StartParams = Annotated[
    dict[
        Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.-]+$")],
        Annotated[str, Field(max_length=1000)],
    ],
    Field(max_length=20),
]


class QuickReply(_Record):
    """A message the account reuses (``send_quick_reply`` actions name it by id)."""

    kind: Literal["quick_reply"] = "quick_reply"
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    text: QuickReplyText
    buttons: Buttons = Field(default_factory=list)
    #: Which of :meth:`content`'s parameters are templates.
    templated: ClassVar[tuple[str, ...]] = ("quick_reply",)

    def content(self) -> dict[str, Any]:
        """What a ``send_quick_reply`` command carries of it (its parameters)."""
        return {"quick_reply": self.text, "buttons": list(self.buttons)}


class ChatbotFlow(_Record):
    """A chatbot flow the account starts for leads (``send_chatbot`` actions name it)."""

    kind: Literal["chatbot_flow"] = "chatbot_flow"
    account_id: Id
    name: str = Field(min_length=1, max_length=200)
    flow: FlowReference
    start_params: StartParams = Field(default_factory=dict)
    templated: ClassVar[tuple[str, ...]] = ("start_params",)

    def content(self) -> dict[str, Any]:
        """What a ``send_chatbot`` command carries of it (its parameters)."""
        return {"flow": self.flow, "start_params": dict(self.start_params)}


class ConversionEvent(_Record):
    kind: Literal["conversion_event"] = "conversion_event"
    account_id: Id
    integration_id: Id
    name: str = Field(min_length=1, max_length=200)
    #: Matches when the mapped event value equals this (e.g. PURCHASE_CANCELED).
    identification: str = Field(min_length=1, max_length=200)
    #: Match ignoring case (``purchase_approved`` matches ``PURCHASE_APPROVED``); exact
    #: by default, and for events saved before this option existed.
    case_insensitive: bool = False

    def matches(self, event_value: str) -> bool:
        if self.case_insensitive:
            return self.identification.casefold() == event_value.casefold()
        return self.identification == event_value

    def overlaps(self, other: ConversionEvent) -> bool:
        """Whether some event value would match both (one webhook, two events)."""
        if self.case_insensitive or other.case_insensitive:
            return self.identification.casefold() == other.identification.casefold()
        return self.identification == other.identification


class Action(_Record):
    """One action of a conversion event: its type and parameters
    (:mod:`schemas.actions`, validated by the type's class)."""

    kind: Literal["action"] = "action"
    account_id: Id
    integration_id: Id
    event_id: Id
    params: AnyActionParams

    @model_validator(mode="before")
    @classmethod
    def _from_flat_record(cls, data: Any) -> Any:
        """Read records written before parameters were nested: ``type`` and every
        type's parameters side by side, unused ones null."""
        if isinstance(data, dict) and "params" not in data and "type" in data:
            data = dict(data)
            flat = {name: data.pop(name) for name in _FLAT_PARAMS if name in data}
            data["params"] = {k: v for k, v in flat.items() if v is not None}
        return data

    @property
    def type(self) -> str:
        return self.params.type

    @property
    def is_send(self) -> bool:
        return self.params.is_send()

    @property
    def object_key(self) -> str | None:
        """The config key of the account object this action names (None: it names none)."""
        if (named := self.params.object_param) is None:
            return None
        param, kind = named
        record_id = getattr(self.params, param)
        return config_key(kind, record_id) if record_id is not None else None


#: The keys of the flat record shape (before ``params``): the type and every parameter.
_FLAT_PARAMS = ("type", "tag", "field", "value", "flow", "text", "quick_reply")


class Channel(_Record):
    """The account's message channel; ``id`` is the account id (one per account)."""

    kind: Literal["channel"] = "channel"
    account_id: Id
    settings: ChannelSettings = Field(default_factory=RecordingSettings)


ConfigRecord = Annotated[
    Account
    | Integration
    | IntegrationMapping
    | CustomField
    | ConversionEvent
    | Action
    | Channel
    | QuickReply
    | ChatbotFlow,
    Field(discriminator="kind"),
]
CONFIG_RECORD = TypeAdapter(ConfigRecord)
