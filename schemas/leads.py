"""Lead state, kept by the executors on the compacted topic ``hookline.leads``
(key ``<account_id>:<phone>``), mirrored to ClickHouse for the API."""

from __future__ import annotations

import copy
import operator
from datetime import datetime
from itertools import islice
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import to_json

from schemas.types import E164, Id, utcnow

#: How many applied command ids (with their outcomes) a lead remembers for
#: at-most-once execution.
APPLIED_COMMANDS_KEPT = 500


def _unless_empty() -> Any:
    """A text field written only when it holds something. A lead is written whole with
    each change, with up to 500 outcomes, most of them applied tags and fields whose four
    texts are empty: left out, an outcome's JSON is 90 bytes instead of 156, and a lead's
    record and every encode, decode, journal write and broker copy of it 40% smaller.
    Read back, a missing field is the empty default, as in records written before."""
    return Field("", exclude_if=operator.not_)


class CommandOutcome(BaseModel):
    """What became of one command: enough to write its history records again,
    identical, when the command comes back (they may have been lost in a crash)."""

    # Frozen: a lead's outcomes are shared by its copies, and their JSON is made once
    # (:func:`lead_json`).
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["applied", "failed", "unknown"]
    detail: str = _unless_empty()
    at: datetime = Field(default_factory=utcnow)
    #: Sends: the channel that was called and the provider's id for the message.
    channel: str = _unless_empty()
    provider_message_id: str = _unless_empty()
    #: Sends not surely delivered: why, as the channel classified the provider's answer
    #: (``schemas.channels.FailureReason``).
    reason: str = _unless_empty()


class LeadState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: Id
    phone: E164
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    #: Custom fields (their canonical text: ``streams/fields.py``).
    fields: dict[str, str] = Field(default_factory=dict)
    #: Standard fields from the mapping (``email``, ``document``, ...), no action needed.
    profile: dict[str, str] = Field(default_factory=dict)
    #: Recent commands already applied (oldest first, bounded), with their outcomes:
    #: stored with the change they made, in one record.
    outcomes: dict[str, CommandOutcome] = Field(default_factory=dict)
    #: Send commands whose channel call had started, as versions before
    #: ``hookline.sends`` (:class:`SendIntents`) recorded them in the lead: still
    #: honoured (settled as ``unknown``, never sent again), no longer added to.
    sending: list[str] = Field(default_factory=list)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 0
    #: Leads written before outcomes were kept list the ``applied`` ids only: read into
    #: ``outcomes``, never written. A field, not a "before" validator reshaping the
    #: input: such a validator has pydantic build the whole JSON as Python objects
    #: first and validate those, which made every lead's decode take twice as long.
    legacy_applied: list[str] | None = Field(
        default=None, validation_alias="applied", exclude=True, repr=False
    )

    @model_validator(mode="after")
    def _from_applied_ids(self) -> LeadState:
        if self.legacy_applied is not None:
            if "outcomes" not in self.model_fields_set:
                applied = CommandOutcome(status="applied")
                self.outcomes = dict.fromkeys(self.legacy_applied, applied)
            self.legacy_applied = None
        return self

    def editable_copy(self) -> LeadState:
        """A copy whose lists and dicts can be changed without touching this lead.
        Not a deep copy: that copied every remembered outcome (up to 500 models) for
        each command, a fifth of the executor's CPU; outcomes are never changed in
        place (:meth:`with_outcome` makes a new dict). What ``model_copy(update=...)``
        does with the copied lists and dicts, without its generic steps."""
        copied = copy.copy(self)
        values = copied.__dict__
        for name in _CONTAINERS:
            values[name] = values[name].copy()
        copied.__pydantic_fields_set__.update(_CONTAINERS)
        return copied

    def with_outcome(self, command_id: str, outcome: CommandOutcome) -> dict[str, CommandOutcome]:
        """``outcomes`` with this one added last, the oldest dropped beyond the bound."""
        kept = dict(self.outcomes)
        kept.pop(command_id, None)
        kept[command_id] = outcome
        for oldest in list(islice(kept, max(0, len(kept) - APPLIED_COMMANDS_KEPT))):
            del kept[oldest]
        return kept


class SendIntents(BaseModel):
    """A lead's sends whose outcome its stored state does not hold yet, on
    ``hookline.sends`` under the lead's key: written before a channel is called, deleted
    (or trimmed) once the lead is stored with their outcomes (``actions/agent.py``).

    A record of its own rather than the lead written whole with a ``sending`` mark: a
    lead remembering hundreds of outcomes was written twice a message, and the intent
    is a few ids."""

    model_config = ConfigDict(extra="forbid")

    #: Sends whose channel call has started and whose answer is not recorded: after a
    #: crash, settled as ``unknown`` and never sent again.
    sending: list[str] = Field(default_factory=list)
    #: Sends answered since the lead was last stored (a lead's sends of one batch run
    #: one after the other, and the lead is stored once at the end): their outcomes, so
    #: a crash before that store keeps what the channel said.
    settled: dict[str, CommandOutcome] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.sending or self.settled)

    def started(self, command_id: str) -> SendIntents:
        """These intents with ``command_id``'s channel call started."""
        return SendIntents(sending=[*self.sending, command_id], settled=self.settled)

    def answered(self, command_id: str, outcome: CommandOutcome) -> SendIntents:
        """These intents with ``command_id``'s channel call answered ``outcome``."""
        return SendIntents(
            sending=[c for c in self.sending if c != command_id],
            settled={**self.settled, command_id: outcome},
        )

    def unstored(self, lead: LeadState | None) -> SendIntents:
        """What of these intents ``lead`` (as stored) does not settle: what must stay."""
        outcomes = lead.outcomes if lead is not None else {}
        return SendIntents(
            sending=[c for c in self.sending if c not in outcomes],
            settled={c: o for c, o in self.settled.items() if c not in outcomes},
        )


#: The fields holding a list or a dict: what an editable copy must not share.
_CONTAINERS = tuple(
    name
    for name, field in LeadState.model_fields.items()
    if get_origin(field.annotation) in (list, dict)
)


#: The JSON of outcomes written before: command id -> (the outcome, its JSON entry
#: ``"<command id>":{...}``). A lead is written whole twice a message (the send's intent,
#: then its final state) with every outcome it remembers; writing each of those again
#: was most of a repeat lead's encode. Outcomes are frozen, so an entry made for that
#: very object stays true.
_OUTCOME_JSON: dict[str, tuple[CommandOutcome, bytes]] = {}
#: Entries kept (about 260 bytes each, measured); the map is emptied when it holds more.
OUTCOME_JSON_KEPT = 50_000
#: Leads with fewer outcomes are written by pydantic alone: the splice costs more.
SPLICED_FROM = 32


def lead_json(lead: LeadState) -> bytes:
    """``lead.model_dump_json()``, byte for byte, each outcome's JSON made once."""
    serializer = LeadState.__pydantic_serializer__
    if len(lead.outcomes) < SPLICED_FROM:
        return serializer.to_json(lead)
    if len(_OUTCOME_JSON) > OUTCOME_JSON_KEPT:
        _OUTCOME_JSON.clear()
    known = _OUTCOME_JSON.get
    entries = [
        entry[1]
        if (entry := known(command_id)) is not None and entry[0] is outcome
        else _outcome_json(command_id, outcome)
        for command_id, outcome in lead.outcomes.items()
    ]
    # The other fields as pydantic writes them, with no outcome. Its first
    # ``"outcomes":{}`` is the field: every other field holds strings, lists or dicts of
    # strings, numbers or a time (a test keeps it so), and a quote in a string is escaped.
    rest = serializer.to_json(lead.model_copy(update={"outcomes": {}}))
    return rest.replace(b'"outcomes":{}', b'"outcomes":{' + b",".join(entries) + b"}", 1)


def lead_json_without_outcomes(lead: LeadState) -> bytes:
    """The lead's JSON without the outcomes it remembers: what the history sink stores."""
    return LeadState.__pydantic_serializer__.to_json(lead.model_copy(update={"outcomes": {}}))


def _outcome_json(command_id: str, outcome: CommandOutcome) -> bytes:
    entry = to_json(command_id) + b":" + outcome.__pydantic_serializer__.to_json(outcome)
    _OUTCOME_JSON[command_id] = (outcome, entry)
    return entry
