"""Platform presets: what hookline knows, from public docs, about each platform's webhooks.

One small declarative module per platform (``hookline/presets/<id>.py``) exposes a
``PRESET``. This module holds the :class:`Preset` model and the registry; every
preset is validated when this package is imported, so a broken preset fails at
startup, never on a live webhook.

A preset with ``mapping=None`` means "the payload does not carry a lead in a
documented shape": the console falls back to :func:`hookline.discovery.suggest`.
``documented=False`` marks presets whose payload format could not be found in
public documentation; their notes say what is a guess.
"""

from __future__ import annotations

import importlib
import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.verify import NO_SCHEME, scheme_names
from schemas.mapping import HeaderSource, Mapping, QuerySource, Source, compile_expression

#: Names of the signature schemes implemented by ingest/verify, plus "none".
SIGNATURE_SCHEMES = frozenset({*scheme_names(), NO_SCHEME})

#: Every platform module, in the order the console lists them ("generic" last).
PLATFORM_IDS: tuple[str, ...] = (
    "activecampaign",
    "asaas",
    "bagy",
    "bing",
    "braip",
    "calendly",
    "eduzz",
    "hotmart",
    "kiwify",
    "logzz",
    "monetizze",
    "notazz",
    "nuvemshop",
    "shopify",
    "stripe",
    "ticto",
    "tray",
    "twilio",
    "vtex",
    "woocommerce",
    "wordpress",
    "yampi",
    "zapier",
    "generic",
)

_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class Preset(BaseModel):
    """Everything the console pre-fills when a user picks a platform."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    display_name: str = Field(min_length=1)
    #: A scheme name from :data:`SIGNATURE_SCHEMES` ("none" when the platform signs nothing).
    signature_scheme: str
    #: Where the event identifier travels (body path, header or query parameter).
    event: Source
    #: Default lead mapping, or None when the payload carries no documented lead.
    mapping: Mapping | None
    #: Where the platform's delivery/event id travels, for dedup (None: hash of the body).
    delivery_id: Source | None = None
    #: Event identifier -> pt-BR label.
    events: dict[str, str] = Field(default_factory=dict)
    #: True when the payload format comes from public documentation (see ``source``).
    documented: bool
    #: URL or ``github:owner/repo path @ commit`` of the public material used.
    source: str = Field(min_length=1)
    notes: str = ""

    @property
    def default_region(self) -> str:
        return self.mapping.default_region if self.mapping is not None else "BR"

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        if not _ID.match(self.id):
            raise ValueError(f"preset id {self.id!r} must match {_ID.pattern}")
        if self.signature_scheme not in SIGNATURE_SCHEMES:
            raise ValueError(
                f"preset {self.id!r}: unknown signature scheme {self.signature_scheme!r}, "
                f"expected one of: {', '.join(sorted(SIGNATURE_SCHEMES))}"
            )
        for source in (self.event, self.delivery_id):
            if isinstance(source, str):
                compile_expression(source)
        if self.mapping is not None and self.mapping.event != self.event:
            raise ValueError(f"preset {self.id!r}: mapping.event differs from event")
        if not self.documented and not self.notes:
            raise ValueError(f"preset {self.id!r}: undocumented presets must explain in notes")
        return self


class UnknownPlatformError(LookupError):
    """Raised by :func:`get_preset` for an id no module registered."""


_REGISTRY: dict[str, Preset] = {}


def register(preset: Preset) -> Preset:
    """Add a preset; ids are unique, a second registration is a bug."""
    if preset.id in _REGISTRY:
        raise ValueError(f"duplicate preset id {preset.id!r}")
    # Re-validate from plain data: catches a mapping built with model_construct.
    Preset.model_validate(preset.model_dump(mode="json"))
    _REGISTRY[preset.id] = preset
    return preset


def get_preset(platform_id: str) -> Preset:
    try:
        return _REGISTRY[platform_id]
    except KeyError:
        expected = ", ".join(sorted(_REGISTRY))
        raise UnknownPlatformError(
            f"unknown platform {platform_id!r}, expected one of: {expected}"
        ) from None


def all_presets() -> tuple[Preset, ...]:
    return tuple(_REGISTRY[platform_id] for platform_id in PLATFORM_IDS if platform_id in _REGISTRY)


def header(name: str) -> HeaderSource:
    """Shorthand for presets: a header-sourced value."""
    return HeaderSource(header=name)


def query(name: str) -> QuerySource:
    """Shorthand for presets: a query-parameter-sourced value."""
    return QuerySource(query=name)


def _load() -> None:
    for platform_id in PLATFORM_IDS:
        module = importlib.import_module(f"{__name__}.{platform_id}")
        preset = module.PRESET
        if preset.id != platform_id:
            raise ValueError(f"module {module.__name__} defines preset {preset.id!r}")
        register(preset)


_load()

__all__ = [
    "PLATFORM_IDS",
    "SIGNATURE_SCHEMES",
    "Preset",
    "UnknownPlatformError",
    "all_presets",
    "get_preset",
    "header",
    "query",
    "register",
]
