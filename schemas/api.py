"""Request and response bodies of the management API (``/api``).

Inputs forbid unknown fields and strip surrounding white space. Outputs never
carry secrets: an API key or URL token is shown once (at creation or rotation)
and only its hash is stored; an integration's signature secret is never
returned, only ``has_secret``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    create_model,
    field_validator,
    model_validator,
)

from schemas.actions import (
    ACTION_TYPES,
    ActionParams,
    ActionType,
    AnyActionParams,
    action_types,
)
from schemas.channels import ChannelSettings
from schemas.config import (
    Action,
    Buttons,
    ConversionEvent,
    CustomResponse,
    FieldType,
    FlowReference,
    Integration,
    QuickReplyText,
    RateLimit,
    StartParams,
)
from schemas.history import WebhookStatus
from schemas.mapping import Mapping, Source
from schemas.signature import SignatureOptions
from schemas.types import Id, Plan, utcnow

Name = Annotated[str, Field(min_length=1, max_length=200)]
Platform = Annotated[str, Field(min_length=1, max_length=64)]
#: 30 days: an old URL token never outlives a month after rotation.
MAX_GRACE_SECONDS = 30 * 24 * 3600
_FIELD_NAME = re.compile(r"^[\w-]+$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Patch(_In):
    """A partial update: absent fields stay as they are; only ``nullable`` ones accept null."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null(self) -> Self:
        for name in self.model_fields_set - self.nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null (leave it out to keep it)")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_record(cls, record: BaseModel, **extra: Any) -> Self:
        """The fields this output shares with a record (config record, preset...), plus
        ``extra``."""
        shared = record.model_dump(include=set(cls.model_fields) - set(extra))
        return cls.model_validate(shared | extra)

    @classmethod
    def from_row(cls, row: dict[str, Any], **extra: Any) -> Self:
        """The columns of a history row this output shows (the row may hold more),
        plus ``extra``."""
        shown = {name: row[name] for name in cls.model_fields if name in row}
        return cls.model_validate(shown | extra)


# -- errors --------------------------------------------------------------------
class ErrorDetail(_Out):
    #: Where the problem is, e.g. ``fields.product`` or ``query.limit``.
    loc: str
    message: str


class ErrorOut(_Out):
    ok: Literal[False] = False
    error: str
    details: list[ErrorDetail] | None = None


# -- accounts ------------------------------------------------------------------
class AccountCreate(_In):
    name: Name
    plan: Plan


class AccountPatch(_Patch):
    name: Name | None = None
    plan: Plan | None = None


class AccountOut(_Out):
    id: Id
    name: str
    plan: Plan


class AccountCreated(AccountOut):
    #: Shown only here; store it now (hookline keeps only its hash).
    api_key: str


# -- integrations --------------------------------------------------------------
class IntegrationCreate(_In):
    name: Name
    platform: Platform = "generic"


class IntegrationPatch(_Patch):
    nullable: ClassVar[frozenset[str]] = frozenset(
        {"secret", "signature", "rate_limit", "response"}
    )

    name: Name | None = None
    enabled: bool | None = None
    platform: Platform | None = None
    #: The platform's signing secret or token; null removes it. Never returned.
    secret: str | None = Field(default=None, min_length=1, max_length=1000)
    #: Scheme override and options (header, algorithm, encoding, prefix,
    #: tolerance_seconds) for the verifier; null returns to the platform's defaults.
    signature: SignatureOptions | None = None
    #: Requests per second and burst per gateway process; null: the server defaults.
    rate_limit: RateLimit | None = None
    #: What accepted webhooks are answered with; null: hookline's JSON.
    response: CustomResponse | None = None


class RotateToken(_In):
    #: How long the previous URL keeps working, so the platform can be updated.
    grace_seconds: int = Field(default=86400, ge=0, le=MAX_GRACE_SECONDS)


class IntegrationOut(_Out):
    id: Id
    name: str
    platform: str
    enabled: bool
    has_secret: bool
    #: The verifier that checks this integration's webhooks once a secret is set.
    signature_scheme: str
    signature: SignatureOptions | None = None
    rate_limit: RateLimit | None = None
    response: CustomResponse | None = None
    #: When the last rotated-away URL stops working; null when none is still valid.
    old_token_valid_until: datetime | None = None
    #: Set when the integration's platform sends only ids (no name, phone or e-mail): said
    #: here so its dead letters are no surprise ("enrich from its API").
    platform_notice: str | None = None
    #: On a PATCH that changed the platform: what the new platform's preset did.
    preset: PresetApplied | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_integration(cls, record: Integration, *, signature_scheme: str, **extra: Any) -> Self:
        """``signature_scheme`` is the gateway's rule for the record, which the caller
        computes (``ingest.signing.scheme_of``): schemas/ imports no stage."""
        now = utcnow()
        grace = [t.expires_at for t in record.tokens if t.expires_at and t.expires_at > now]
        return cls.from_record(
            record,
            has_secret=bool(record.secret),
            signature_scheme=signature_scheme,
            old_token_valid_until=max(grace, default=None),
            **extra,
        )


class IntegrationWithToken(IntegrationOut):
    """Returned at creation and rotation only: the URL token is not stored in clear."""

    token: str
    url: str


class IntegrationList(_Out):
    items: list[IntegrationOut]


class MappingSaved(Mapping):
    """A mapping as PUT saved it, and what saving it noticed."""

    #: Doubts that did not stop the save: the required fields this mapping finds on none
    #: of the integration's recent webhooks (none before the first one).
    warnings: list[str] = Field(default_factory=list)


# -- custom fields -------------------------------------------------------------
class CustomFieldCreate(_In):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    #: How values are checked and stored: ``update_field`` values that do not fit are not
    #: stored, and the webhook's history says why (``12,5`` in a number field is ``12.5``).
    type: FieldType = "text"

    @field_validator("name")
    @classmethod
    def _template_safe(cls, value: str) -> str:
        if not _FIELD_NAME.match(value):
            raise ValueError(
                "a custom field name may hold only letters, digits, '_' and '-'"
                " (templates refer to it as {{fields.<name>}})"
            )
        return value


class CustomFieldPatch(_Patch):
    """The name stays (actions and templates name the field by it)."""

    description: str | None = Field(default=None, max_length=500)
    #: Values already on leads keep their text; the API shows those that fit the new
    #: type typed, the others as stored.
    type: FieldType | None = None


class CustomFieldOut(_Out):
    id: Id
    name: str
    description: str
    type: FieldType
    created_at: datetime
    updated_at: datetime


class CustomFieldList(_Out):
    items: list[CustomFieldOut]


# -- quick replies and chatbot flows (what send actions name by id) -----------------
class QuickReplyCreate(_In):
    name: Name
    #: A template: ``Oi {{first_name}}, ...`` (GET /api/integrations/{id}/template-variables).
    text: QuickReplyText
    buttons: Buttons = Field(default_factory=list)


class QuickReplyPatch(_Patch):
    name: Name | None = None
    text: QuickReplyText | None = None
    buttons: Buttons | None = None


class QuickReplyOut(_Out):
    id: Id
    name: str
    text: str
    buttons: list[str]
    #: The ``send_quick_reply`` actions that send it (it cannot be deleted while any does).
    used_by: list[Id]
    created_at: datetime
    updated_at: datetime


class QuickReplyList(_Out):
    items: list[QuickReplyOut]


class ChatbotFlowCreate(_In):
    name: Name
    #: The CRM's flow id, or the provider's template or flow reference.
    flow: FlowReference
    #: Handed to the flow when it starts; values are templates (``{{first_name}}``).
    start_params: StartParams = Field(default_factory=dict)


class ChatbotFlowPatch(_Patch):
    name: Name | None = None
    flow: FlowReference | None = None
    start_params: StartParams | None = None


class ChatbotFlowOut(_Out):
    id: Id
    name: str
    flow: str
    start_params: dict[str, str]
    #: The ``send_chatbot`` actions that start it (it cannot be deleted while any does).
    used_by: list[Id]
    created_at: datetime
    updated_at: datetime


class ChatbotFlowList(_Out):
    items: list[ChatbotFlowOut]


# -- templates -------------------------------------------------------------------
class TemplateVariableOut(_Out):
    #: As a template writes it: ``first_name``, ``fields.product``, ``payload.data.buyer.name``.
    name: str
    description: str
    #: Its value in the integration's latest webhook; null when that had none.
    example: Any = None


class TemplateVariablesOut(_Out):
    #: False when the integration has received no webhook yet (no examples).
    sampled: bool
    #: The lead's, the event, ``fields.<name>``, then every value of the latest payload.
    variables: list[TemplateVariableOut]
    #: Filters a template may use: ``{{ email | default("sem e-mail") }}``.
    filters: list[str]
    #: Tests a template may use: ``{% if payload.coupon is defined %}``.
    tests: list[str]


class TemplatePreviewIn(_In):
    template: str = Field(min_length=1, max_length=4096)
    #: A parsed body to render against; the integration's latest webhook when omitted.
    payload: Any = None
    #: The request headers of ``payload`` (for a mapping that reads one).
    headers: dict[str, str] = Field(default_factory=dict, max_length=100)


class TemplatePreviewOut(_Out):
    #: The rendering; null when a value is missing (such a message is not sent) or the
    #: template cannot be rendered.
    text: str | None
    #: Variables the template prints that this payload does not have (and no ``default``).
    missing: list[str]
    #: Why the template would be refused when saved (syntax, unknown variables, ...).
    problems: list[str]
    #: Why the payload does not map to a lead (the lead's variables are then missing).
    mapping_errors: list[str]
    #: ``given`` (the request's payload), ``latest`` (the integration's latest webhook) or
    #: ``none`` (no payload: the integration has received no webhook yet).
    payload_from: Literal["given", "latest", "none"]


# -- actions -------------------------------------------------------------------
# The action types and their parameters are schemas/actions.py; these derive from it.
class ActionIn(RootModel[AnyActionParams]):
    """One action to add to a conversion event; which parameters it needs depends on ``type``."""

    @model_validator(mode="before")
    @classmethod
    def _known_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") not in ACTION_TYPES:
            raise ValueError(f"type must be one of: {', '.join(ACTION_TYPES)}")
        return data

    def to_record(self, event: ConversionEvent, action_id: str) -> Action:
        return Action(
            id=action_id,
            account_id=event.account_id,
            integration_id=event.integration_id,
            event_id=event.id,
            params=self.root,
        )


def _action_out(params: type[ActionParams]) -> type[ActionParams]:
    """The answer shape of one action type: its parameters, id and creation time."""
    return create_model(
        f"{params.__name__}Out",
        __base__=params,
        __doc__=f"{params.label}.",
        id=(Id, ...),
        created_at=(datetime, ...),
    )


_ACTION_OUTS = {name: _action_out(cls) for name, cls in action_types().items()}


class ActionOut(
    RootModel[  # type: ignore[misc]
        Annotated[
            Union[tuple(_ACTION_OUTS.values())],  # type: ignore[valid-type]  # noqa: UP007
            Field(discriminator="type"),
        ]
    ]
):
    """An action as the API answers it: its id, type, parameters and creation time."""

    @classmethod
    def from_record(cls, record: Action) -> ActionOut:
        params = record.params.model_dump()
        return cls(_ACTION_OUTS[record.type](id=record.id, created_at=record.created_at, **params))


# -- conversion events ---------------------------------------------------------
class EventCreate(_In):
    name: Name
    #: The mapped event value that triggers this event, e.g. ``PURCHASE_APPROVED``. Two
    #: events of one integration cannot share one (409): add actions to the first.
    identification: Name
    #: Match ignoring case (``purchase_approved`` triggers ``PURCHASE_APPROVED``).
    case_insensitive: bool = False


class EventPatch(_Patch):
    name: Name | None = None
    identification: Name | None = None
    case_insensitive: bool | None = None


class ActionPatch(_In):
    """The parameters to change, the others kept (``{"text": "Oi {{ first_name }}"}``);
    with a ``type`` other than the action's, the new type's parameters, whole. Checked as
    when the action is created: one send action per event (409)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    type: ActionType | None = None

    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class EventOut(_Out):
    id: Id
    integration_id: Id
    name: str
    identification: str
    case_insensitive: bool
    actions: list[ActionOut]
    #: On a create or a change of the identification: it is not in the platform's
    #: event catalogue, and the close ones (``PURCHASE_APROVED``: ``PURCHASE_APPROVED``).
    warnings: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_event(
        cls, record: ConversionEvent, actions: list[Action], warnings: list[str] | None = None
    ) -> Self:
        return cls.from_record(
            record, actions=[ActionOut.from_record(a) for a in actions], warnings=warnings or []
        )


class EventList(_Out):
    items: list[EventOut]


# -- history -------------------------------------------------------------------
class LimitQuery(_In):
    limit: int = Field(default=50, ge=1, le=500)


class LeadOut(_Out):
    phone: str
    name: str | None
    tags: list[str]
    #: Custom fields, typed as the account's fields are: numbers, booleans, text (dates
    #: as ``2026-03-01``).
    fields: dict[str, Any]
    #: Standard fields the mapping read (``email``, ``document``, ``city``, ``state``,
    #: ``country``, ``zip_code``), normalised.
    profile: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime


class LeadQuery(_In):
    """``GET /api/leads``: every filter given must hold."""

    #: Leads with this tag.
    tag: str | None = Field(default=None, min_length=1, max_length=100)
    #: ``<name>=<value>``: a custom field (the value read as the field's type: ``ativo=sim``
    #: finds ``true``) or a standard field (``email=ana@loja.com``).
    field: str | None = Field(default=None, min_length=3, max_length=1100, pattern=r"^[^=]+=.+$")
    #: Leads that a webhook of this integration mapped to.
    integration: Id | None = None
    #: Leads last changed at or after this time (a date is its midnight UTC).
    updated_from: datetime | None = None
    #: Leads last changed before this time.
    updated_to: datetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    #: ``next_cursor`` of the previous page (with the same filters).
    cursor: str | None = Field(default=None, max_length=2000)


class LeadList(_Out):
    #: By phone, which never changes: a lead changed while paging is neither skipped nor
    #: listed twice.
    items: list[LeadOut]
    #: The next page's ``cursor``; null on the last page.
    next_cursor: str | None


class TimelineQuery(_In):
    limit: int = Field(default=100, ge=1, le=500)
    #: ``next_cursor`` of the previous page: older entries.
    cursor: str | None = Field(default=None, max_length=2000)


class TimelineWebhook(_Out):
    """A webhook mapped to the lead."""

    kind: Literal["webhook"] = "webhook"
    at: datetime
    request_id: str
    integration_id: str
    status: WebhookStatus
    event: str | None
    matched_event_ids: list[str]
    action_types: list[str]
    errors: list[str]


class TimelineCommand(_Out):
    """What an action did to the lead (a redelivered command's ``duplicate`` notes are
    left out)."""

    kind: Literal["command"] = "command"
    at: datetime
    command_id: str
    integration_id: str
    #: The webhook it came from (its ``request_id``).
    request_id: str
    type: str
    #: ``applied``, ``failed`` or ``unknown`` (a send that may have been delivered).
    status: str
    detail: str


class TimelineMessage(_Out):
    """A message handed to the lead's channel (``recording``: nothing left the machine)."""

    kind: Literal["message"] = "message"
    at: datetime
    command_id: str
    channel: str
    message_type: str
    content: str
    status: str
    reason: str


TimelineEntry = Annotated[
    TimelineWebhook | TimelineCommand | TimelineMessage, Field(discriminator="kind")
]


class Timeline(_Out):
    phone: str
    #: Oldest first: the latest ``limit`` entries before the cursor.
    items: list[TimelineEntry]
    #: Older entries' ``cursor``; null when there are none.
    next_cursor: str | None


class MessageOut(_Out):
    command_id: str
    #: ``recording`` means nothing left the machine (no channel configured).
    channel: str
    message_type: str
    content: str
    #: ``sent``, ``failed`` (not delivered) or ``unknown`` (may have been delivered).
    status: str
    #: Why it was not (surely) sent, "" when sent: ``retryable`` or ``rate_limited``
    #: (given up), ``window_closed``, ``invalid_recipient``, ``auth``, ``fatal``,
    #: ``unknown``.
    reason: str = ""
    detail: str
    provider_message_id: str
    sent_at: datetime
    #: A failed message sent again: the command id of its first attempt.
    retry_of: str = ""


class MessageList(_Out):
    messages: list[MessageOut]


class FailedMessageOut(_Out):
    """The latest attempt of a message that did not (surely) reach its lead."""

    command_id: str
    #: The command id of the message's first attempt (its own when never retried).
    first_command_id: str
    #: How many times it was handed to a channel (1 + retries).
    attempts: int
    phone: str
    channel: str
    message_type: str
    content: str
    #: ``failed`` (not delivered) or ``unknown`` (may have been delivered).
    status: str
    reason: str
    detail: str
    sent_at: datetime


class FailedMessageList(_Out):
    items: list[FailedMessageOut]


class RetryAll(_In):
    #: Also send again the messages that may have been delivered (``unknown``): the lead
    #: may get them twice.
    include_unknown: bool = False
    limit: int = Field(default=100, ge=1, le=500)


class RetryOut(_Out):
    #: The new command (``<first command id>-r<n>``), on ``hookline.commands``.
    command_id: str
    retry_of: str
    phone: str


class RetryList(_Out):
    retried: int
    items: list[RetryOut]


# -- the account's message channel ----------------------------------------------
class ChannelIn(RootModel[ChannelSettings]):
    """One of the channel types, by ``type`` (``recording``, ``generic_http``,
    ``whatsapp_cloud``, ``evolution``, ``zapi``), with its settings."""


class ChannelError(_Out):
    """A message of the account that did not (surely) reach its lead."""

    command_id: str
    status: str
    reason: str
    detail: str
    at: datetime


class ChannelOut(_Out):
    type: str
    #: False for ``recording``: messages are only recorded, nothing leaves the machine.
    delivers: bool
    #: Every setting but the credentials: URLs, ids, timeout, pacing.
    settings: dict[str, Any] = Field(default_factory=dict)
    #: The credentials that are set (``headers.<name>`` for each generic_http header);
    #: their values are never returned.
    credentials_set: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None
    #: From history: the account's latest message not (surely) sent since the channel was
    #: last changed; null when there is none (or this process has no history).
    last_error: ChannelError | None = None
    #: True while that error is refused credentials (``auth``): nothing is sent for the
    #: account, each message failing at once, until the channel is changed (PUT).
    stopped: bool = False


class WebhookOut(_Out):
    request_id: str
    delivery_id: str | None
    status: WebhookStatus
    event: str | None
    name: str | None
    phone: str | None
    fields: dict[str, Any]
    errors: list[str]
    warnings: list[str] = []
    matched_event_ids: list[str]
    action_types: list[str]
    received_at: datetime
    processed_at: datetime


class WebhookList(_Out):
    items: list[WebhookOut]


class DeadLetterOut(_Out):
    request_id: str
    reason: str
    errors: list[str]
    failed_at: datetime


class DeadLetterList(_Out):
    items: list[DeadLetterOut]


class RejectedOut(_Out):
    """A request the gateway refused (bad signature, body too large or undecodable)."""

    request_id: str
    received_at: datetime
    status: int
    reason: str
    scheme: str | None
    method: str
    content_type: str | None
    #: Headers as received: verifier headers removed, credential-named ones masked.
    headers: dict[str, str]
    body_bytes: int
    #: The start of the body, credential fields masked.
    body_excerpt: str
    remote: str | None


class RejectedList(_Out):
    items: list[RejectedOut]


class ReplayRequest(BaseModel):
    """Which outstanding dead letters to send through the pipeline again."""

    model_config = ConfigDict(extra="forbid")
    #: Only these request ids; all outstanding ones (up to ``limit``) when omitted.
    request_ids: list[str] | None = Field(default=None, max_length=1000)
    limit: int = Field(default=100, ge=1, le=1000)


class ReplayResult(_Out):
    replayed: int
    request_ids: list[str]


# -- platforms (presets) -------------------------------------------------------
class PlatformEvent(_Out):
    #: The event value as the platform sends it: what a conversion event's
    #: ``identification`` must equal.
    identification: str
    #: pt-BR label for pickers.
    label: str


class PlatformOut(_Out):
    """A platform preset: what hookline knows, from public docs, about its webhooks."""

    id: str
    display_name: str
    #: False when the payload format could not be found in public docs (see ``notes``).
    documented: bool
    #: The verifier that checks this platform's webhooks once an integration has a secret:
    #: the same rule the integration view shows (``header_token`` when the platform signs
    #: nothing and the user adds a header).
    signature_scheme: str
    #: False when the platform itself signs nothing (the scheme above is the fallback).
    platform_signs: bool
    #: Where the event identifier travels (jmespath over the body, header or query).
    event: Source
    #: Where the platform's delivery id travels (dedup); null: a hash of the body.
    delivery_id: Source | None
    events: list[PlatformEvent]
    #: The mapping applied when an integration is created for this platform; null when
    #: the payload carries no documented lead (the suggested mapping fills in).
    mapping: Mapping | None
    #: The payload versions and event families the mapping reads (each tested on a cited
    #: payload).
    covers: list[str]
    #: Set when the platform's webhooks carry only ids: what to do instead.
    ids_only: str | None = None
    default_region: str
    source: str
    notes: str


class PlatformList(_Out):
    items: list[PlatformOut]


class TestDelivery(_In):
    """``POST /api/integrations/{id}/test``: where to send the platform's sample."""

    #: The integration's webhook URL (as shown at creation or rotation); the sample goes
    #: through it, so the whole path (gateway, signature, mapping) is exercised.
    url: str = Field(min_length=1, max_length=2000)


class TestDeliveryOut(_Out):
    """What the test delivery sent and what the gateway answered."""

    #: The public payload sent (its fixture name) and where it comes from.
    sample: str
    source: str
    #: The scheme it was signed with; null when the integration has no secret (unsigned).
    signed_with: str | None
    #: The gateway's answer: status and body (the request id to find it in history);
    #: status 0 when the URL did not answer (the body says why).
    status: int
    answer: Any = None
    #: What the platform's preset should map from it (event, name, phone, e-mail).
    expected: dict[str, Any]


class PresetApplied(_Out):
    """What choosing the platform did to a new integration (or to one whose platform
    changed)."""

    id: str
    display_name: str
    documented: bool
    #: True when the preset's mapping was saved as the integration's mapping.
    mapping_applied: bool
    default_region: str
    notes: str
    #: What the mapping reads (payload versions and event families).
    covers: list[str] = Field(default_factory=list)
    #: Set when the platform sends only ids: no lead can be mapped from its webhooks alone.
    ids_only: str | None = None


class IntegrationCreated(IntegrationWithToken):
    preset: PresetApplied


# -- discovery (structure and suggested mapping) ---------------------------------
class DiscoveryQuery(_In):
    #: How many recent webhooks (pings excluded) to read.
    limit: int = Field(default=100, ge=1, le=1000)


class PathOut(_Out):
    #: A jmespath expression, arrays as ``items[]`` (``items[0]`` in a mapping).
    path: str
    #: The containing path ("" at the top level): the list is a tree in document order.
    parent: str
    #: JSON types seen: string, integer, number, boolean, null, object, array.
    types: list[str]
    #: One non-null scalar example (strings cut at 200 characters).
    example: Any = None
    #: Payloads that had this path.
    count: int
    #: count / sampled.
    frequency: float


class HeaderOut(_Out):
    name: str
    example: Any = None
    count: int
    frequency: float


class StructureOut(_Out):
    #: Payloads read (the parsed bodies of the most recent webhooks).
    sampled: int
    #: Recent webhooks whose body could not be read as JSON or form data.
    skipped: int
    #: True when a size cap (paths, depth) dropped something.
    truncated: bool
    paths: list[PathOut]
    #: Request headers seen (lower-cased; verifier headers removed, credential-named masked).
    headers: list[HeaderOut]


class SuggestedSource(_Out):
    source: Source
    #: 0..1: how sure the heuristics are.
    confidence: float
    reason: str
    example: Any = None


class SuggestedField(SuggestedSource):
    #: Runners-up, best first.
    alternatives: list[SuggestedSource]


class DetectedPlatform(_Out):
    id: str
    confidence: float
    reason: str


CheckOf = Literal["saved", "preset", "suggested"]


class MappingCheckOut(_Out):
    """How one mapping fares on the sampled payloads."""

    #: "preset" (the platform's default mapping), "saved" (the integration's mapping, when
    #: it differs from the preset's) or "suggested" (the ``mapping`` of this answer).
    of: CheckOf
    payloads: int
    #: Payloads that map without errors.
    ok: int
    #: event/name/phone/email -> payloads where it resolved (phone: a valid number).
    resolved: dict[str, int]
    #: The most frequent errors.
    errors: list[str]


class SuggestedMappingOut(_Out):
    sampled: int
    skipped: int
    #: event, name, phone and the common custom fields found (email, document, product,
    #: value, status, transaction_id).
    fields: dict[str, SuggestedField]
    #: Required fields (event, name, phone) with no candidate.
    missing: list[str]
    #: The suggestion as a mapping ready for PUT /mapping; null while something is missing.
    mapping: Mapping | None
    #: Platforms the most recent payload looks like, most likely first.
    detected_platforms: list[DetectedPlatform]
    checks: list[MappingCheckOut]
