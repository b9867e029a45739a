"""What one platform unit declares: :class:`Platform`, the :class:`Preset` it carries, and the
helpers its detection rule is written with. Pure data and pure functions.

A unit names its signature scheme; it does not implement one. Schemes are the verifiers of
``ingest/verify`` (one module per scheme, shared by any number of platforms), which check at
import that every name a unit binds is registered. Where a unit's credential travels is
declared here once and read by everything that must know it: the header a scheme reads is
declared by its verifier; the body fields a token travels in, and any header no verifier
reads, are declared by the unit (:attr:`Platform.credential_fields`,
:attr:`Platform.credential_headers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.mapping import HeaderSource, QuerySource, Source, chain_of, compile_expression
from schemas.mapping import Mapping as LeadMapping

#: The ``signature_scheme`` of a platform that signs nothing.
UNSIGNED = "none"
#: The platform for webhooks of any other platform: listed last, and what an unknown
#: platform id is treated as.
GENERIC = "generic"

_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class Preset(BaseModel):
    """Everything the console pre-fills when a user picks a platform.

    ``mapping=None`` means "the payload does not carry a lead in a documented shape": the
    console falls back to :func:`hookline.discovery.suggest`. ``documented=False`` marks
    presets whose payload format could not be found in public documentation; their notes
    say what is a guess.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    display_name: str = Field(min_length=1)
    #: The name of the scheme the platform signs with, a verifier of ``ingest/verify``
    #: (checked there at import), or ``"none"`` when the platform signs nothing.
    signature_scheme: str = Field(min_length=1)
    #: Where the event identifier travels (body path, header or query parameter).
    event: Source
    #: Default lead mapping, or None when the payload carries no documented lead.
    mapping: LeadMapping | None
    #: Where the platform's delivery/event id travels, for dedup (None: hash of the body).
    delivery_id: Source | None = None
    #: Event identifier -> pt-BR label.
    events: dict[str, str] = Field(default_factory=dict)
    #: True when the payload format comes from public documentation (see ``source``).
    documented: bool
    #: URL or ``github:owner/repo path @ commit`` of the public material used.
    source: str = Field(min_length=1)
    notes: str = ""
    #: The payload versions and event families the mapping reads, one line each (every one
    #: is tested on a cited payload in tests/fixtures/platforms): what the preset claims.
    covers: tuple[str, ...] = ()
    #: Set when the platform's webhooks carry only ids (no name, phone or e-mail): what to do
    #: instead. Shown on the platform and on every integration of it, so a lead that cannot
    #: be mapped is explained up front rather than found as a dead letter.
    ids_only: str | None = None

    @property
    def default_region(self) -> str:
        return self.mapping.default_region if self.mapping is not None else "BR"

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        if not _ID.match(self.id):
            raise ValueError(f"preset id {self.id!r} must match {_ID.pattern}")
        for source in (self.event, self.delivery_id):
            for member in chain_of(source) if source is not None else ():
                if isinstance(member, str):
                    compile_expression(member)
        if self.mapping is not None and self.mapping.event != self.event:
            raise ValueError(f"preset {self.id!r}: mapping.event differs from event")
        if not self.documented and not self.notes:
            raise ValueError(f"preset {self.id!r}: undocumented presets must explain in notes")
        if self.ids_only is not None and self.mapping is not None:
            raise ValueError(f"preset {self.id!r}: an ids-only platform has no lead mapping")
        if self.mapping is not None and not self.covers:
            raise ValueError(f"preset {self.id!r}: a mapping must say which versions it covers")
        return self


#: A detection rule's finding: (confidence in ]0, 1], the trait that was recognised).
Found = tuple[float, str]
#: A detection rule: (body as a dict, headers keyed lower-case) -> a finding or None.
Rule = Callable[[dict[str, Any], dict[str, str]], Found | None]


@dataclass(frozen=True, kw_only=True)
class Platform:
    """One platform: its preset, the scheme that checks it, where its credentials travel
    and how its webhooks are recognised. Registered from ``platforms/<id>.py`` (``PLATFORM``)."""

    preset: Preset
    #: The scheme that checks a secret when the platform signs nothing: a static token in
    #: a header the user chooses (``generic`` uses the configurable HMAC instead).
    unsigned_scheme: str = "header_token"
    #: Body fields the platform's token travels in. Its scheme reads them there, and they are
    #: masked wherever bodies are kept for people (core/redact.py).
    credential_fields: tuple[str, ...] = ()
    #: Headers carrying a credential that no verifier reads; never written to Kafka.
    credential_headers: tuple[str, ...] = ()
    #: Recognises the platform's webhooks from one documented trait or a few (a signature
    #: header, an envelope field, an event-name prefix). None: never detected.
    detect: Rule | None = None

    def __post_init__(self) -> None:
        for name in (*self.credential_fields, *self.credential_headers, self.unsigned_scheme):
            if not name or name != name.strip():
                raise ValueError(f"platform {self.id!r}: blank or padded name {name!r}")

    @property
    def id(self) -> str:
        return self.preset.id

    @property
    def scheme(self) -> str:
        """The scheme checking this platform's webhooks once the integration has a secret."""
        signed = self.preset.signature_scheme
        return self.unsigned_scheme if signed == UNSIGNED else signed


# -- shorthands for units ------------------------------------------------------------------
def header(name: str) -> HeaderSource:
    """A header-sourced value."""
    return HeaderSource(header=name)


def query(name: str) -> QuerySource:
    """A query-parameter-sourced value."""
    return QuerySource(query=name)


def headers_starting(headers: Mapping[str, str], prefix: str) -> list[str]:
    """The (lower-case) header names that start with ``prefix``, sorted."""
    return sorted(name for name in headers if name.startswith(prefix))


def dig(body: Mapping[str, Any], *keys: str) -> Any:
    """``body[k1][k2]...``, or None as soon as a level is missing or not an object."""
    value: Any = body
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def is_object(value: Any) -> bool:
    """Whether ``value`` is a JSON object (or a form parsed into one)."""
    return isinstance(value, Mapping)


def text(value: Any) -> str:
    """``value`` if it is a string, else ``""`` (for prefix tests on untrusted input)."""
    return value if isinstance(value, str) else ""
