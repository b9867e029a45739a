"""History records, written to ``hookline.history`` and stored in ClickHouse
by the history sink (one table per ``kind``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.actions import ActionType, MessageType
from schemas.channels import FailureReason
from schemas.commands import ActionCommand
from schemas.types import Id, utcnow

WebhookStatus = Literal["matched", "unmatched", "error", "duplicate", "ping"]


class WebhookHistory(BaseModel):
    """One processed webhook, matched or not, with its mapping errors."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["webhook"] = "webhook"

    request_id: str
    account_id: Id
    integration_id: Id
    delivery_id: str | None = None
    received_at: datetime
    processed_at: datetime = Field(default_factory=utcnow)
    status: WebhookStatus
    event: str | None = None
    name: str | None = None
    phone: str | None = None
    phone_raw: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    #: What was read but looks doubtful (e.g. a national phone that looks foreign);
    #: never blocks the lead.
    warnings: list[str] = Field(default_factory=list)
    matched_event_ids: list[str] = Field(default_factory=list)
    command_ids: list[str] = Field(default_factory=list)
    action_types: list[str] = Field(default_factory=list)
    content_type: str | None = None
    #: Request headers, lower-cased, verifier headers removed by the gateway (credential-named
    #: ones are masked when stored: hookline/history/store.py).
    headers: dict[str, str] = Field(default_factory=dict)
    body_format: str = "raw"
    #: The body as text (utf-8, invalid bytes replaced), for the "view" page.
    body_text: str = ""
    #: The parsed body as JSON text, "" when unparseable.
    parsed_json: str = ""


class CommandResult(BaseModel):
    """What an executor did with one command."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["command"] = "command"

    command_id: str
    account_id: Id
    integration_id: Id
    request_id: str
    phone: str
    type: ActionType
    #: ``unknown``: a send interrupted between calling the channel and recording its
    #: answer; it may have been delivered and is never sent again.
    status: Literal["applied", "duplicate", "failed", "unknown"]
    detail: str = ""
    applied_at: datetime = Field(default_factory=utcnow)


class MessageSent(BaseModel):
    """A message handed to a channel (``recording``, the default, only records it),
    with the channel's answer."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["message"] = "message"

    command_id: str
    account_id: Id
    phone: str
    channel: str
    message_type: MessageType
    content: str
    #: ``sent``; ``failed`` (the channel refused or was unreachable: not delivered);
    #: ``unknown`` (no answer, or interrupted: may have been delivered, never resent).
    status: Literal["sent", "failed", "unknown"] = "sent"
    #: Why it was not (surely) sent, "" when sent: the provider's answer as the channel
    #: classified it (``window_closed``, ``invalid_recipient``, ``auth``, ...).
    reason: FailureReason | Literal[""] = ""
    detail: str = ""
    provider_message_id: str = ""
    sent_at: datetime = Field(default_factory=utcnow)
    #: A failed message sent again (``POST /api/messages/{command_id}/retry``): the
    #: command id of its first attempt; "" for a first attempt.
    retry_of: str = ""
    #: The command that sent it, to send it again (kept when it was not sent).
    command: ActionCommand | None = None


class ConfigChange(BaseModel):
    """Audit log entry for a config record (also used to restore an empty broker)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["config"] = "config"

    key: str
    account_id: str
    record_kind: str
    #: The record as JSON, "" for a delete.
    record_json: str
    deleted: bool = False
    changed_at: datetime = Field(default_factory=utcnow)


class RejectedRequest(BaseModel):
    """A request the gateway refused for a known integration (bad signature, body too
    large, undecodable body): nothing of it reached ``hookline.webhooks``. Never holds
    the secret; credential headers are removed and credential body fields masked."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rejected"] = "rejected"

    request_id: str
    account_id: Id
    integration_id: Id
    received_at: datetime
    #: The HTTP status answered: 400, 401, 408, 413 or 415.
    status: int
    #: Why, as answered to the sender (e.g. ``missing header X-Shopify-Hmac-Sha256``).
    reason: str
    #: The signature scheme that rejected it (401 only).
    scheme: str | None = None
    method: str
    content_type: str | None = None
    #: Request headers, lower-cased, verifier headers removed (credential-named ones are
    #: masked when stored).
    headers: dict[str, str] = Field(default_factory=dict)
    #: Bytes received (before any decoding).
    body_bytes: int = 0
    #: The start of the body as text, credential fields masked ("" when not read).
    body_excerpt: str = ""
    #: The peer address as seen by the gateway.
    remote: str | None = None


HistoryRecord = Annotated[
    WebhookHistory | CommandResult | MessageSent | ConfigChange | RejectedRequest,
    Field(discriminator="kind"),
]
HISTORY_RECORD = TypeAdapter(HistoryRecord)
