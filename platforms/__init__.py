"""Platforms: what hookline knows, from public docs, about each platform's webhooks.

A platform is one unit, ``platforms/<id>.py``, exposing ``PLATFORM``
(:class:`~platforms.unit.Platform`): its preset (event source, default mapping, delivery id,
event catalogue with pt-BR labels, sources and caveats), the signature scheme that checks
it, where its credentials travel and how its webhooks are recognised. Units are found by
listing this package (no list to keep): adding a platform is adding its module. Every unit
is validated when this package is imported, so a broken one fails at start-up, never on a
live webhook; a duplicate id is refused and an unknown id is answered with the valid ones.

Everything that lists platforms or their credentials is derived from the units:
:data:`PLATFORM_IDS`, :func:`all_platforms` (alphabetical, ``generic`` last), the body
credential fields (:func:`credential_fields`, masked by core/redact.py and read by the
token schemes through :func:`scheme_fields`), the headers a platform adds to those its
verifier reads (:func:`credential_headers`, dropped by ingest/envelope.py), and the
detection rules (hookline/discovery/detect.py runs every unit's ``detect``).

Why a top-level package: a platform is not a stage. The gateway (``ingest/``: signing,
delivery ids, the envelope), the base layer (``core/redact.py``) and the applications
(``hookline/``: API, preview, discovery) all read it, so it sits below them and imports
only ``schemas/``; nothing here imports a stage, so dependencies point one way
(``schemas/`` <- ``platforms/`` <- ``core/`` <- ``ingest/``, ``streams/``, ``actions/`` <-
``hookline/``). Scheme names are bound as plain strings; ``ingest/verify`` checks at import
that each one is a registered verifier.
"""

from __future__ import annotations

import importlib
import pkgutil

from platforms.unit import GENERIC, UNSIGNED, Platform, Preset


class UnknownPlatformError(LookupError):
    """Raised by :func:`get_platform` for an id no unit registered."""


_REGISTRY: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    """Add a platform; ids are unique, a second registration is a bug."""
    if platform.id in _REGISTRY:
        raise ValueError(f"duplicate platform id {platform.id!r}")
    # Re-validate from plain data: catches a mapping built with model_construct.
    Preset.model_validate(platform.preset.model_dump(mode="json"))
    # Checked as a saved mapping is: the preset's mapping is saved at integration creation.
    mapping = platform.preset.mapping
    if mapping is not None and (broken := mapping.broken_sources()):
        raise ValueError(f"platform {platform.id!r}: mapping {broken}")
    _REGISTRY[platform.id] = platform
    return platform


def get_platform(platform_id: str) -> Platform:
    try:
        return _REGISTRY[platform_id]
    except KeyError:
        expected = ", ".join(sorted(_REGISTRY))
        raise UnknownPlatformError(
            f"unknown platform {platform_id!r}, expected one of: {expected}"
        ) from None


def get_preset(platform_id: str) -> Preset:
    return get_platform(platform_id).preset


def all_platforms() -> tuple[Platform, ...]:
    """Every platform in the order the console lists them: by id, ``generic`` last."""
    return tuple(sorted(_REGISTRY.values(), key=lambda p: (p.id == GENERIC, p.id)))


def all_presets() -> tuple[Preset, ...]:
    return tuple(platform.preset for platform in all_platforms())


def credential_fields() -> tuple[str, ...]:
    """Every body field a platform declares its token travels in (each name once)."""
    return tuple(dict.fromkeys(f for p in all_platforms() for f in p.credential_fields))


def scheme_fields(scheme: str) -> tuple[str, ...]:
    """The body fields declared by the platforms that ``scheme`` checks: where a token
    scheme looks for the token when no header carries it."""
    fields = (f for p in all_platforms() if p.scheme == scheme for f in p.credential_fields)
    return tuple(dict.fromkeys(fields))


def credential_headers() -> frozenset[str]:
    """Headers (lower-case) a platform declares as carrying a credential no verifier reads."""
    return frozenset(h.lower() for p in all_platforms() for h in p.credential_headers)


def _discover() -> None:
    """Register the ``PLATFORM`` of every module of this package (helpers define none)."""
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):  # __main__
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform is None:
            continue
        if platform.id != module_info.name:
            raise ValueError(f"module {module.__name__} defines platform {platform.id!r}")
        register(platform)


_discover()

#: Every platform id, in the order the console lists them ("generic" last).
PLATFORM_IDS: tuple[str, ...] = tuple(platform.id for platform in all_platforms())

__all__ = [
    "GENERIC",
    "PLATFORM_IDS",
    "UNSIGNED",
    "Platform",
    "Preset",
    "UnknownPlatformError",
    "all_platforms",
    "all_presets",
    "credential_fields",
    "credential_headers",
    "get_platform",
    "get_preset",
    "register",
    "scheme_fields",
]
