"""Verifiers by name. Duplicate names are refused; an unknown name lists the valid ones.

Also what is derived from the registry: the credential headers and query parameters the
verifiers read, and the check that every platform unit binds a registered scheme
(:func:`check_platform_schemes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from ingest.verify.base import Verifier

if TYPE_CHECKING:
    from platforms.unit import Platform

#: The scheme of a request accepted without a configured secret; never registrable.
NO_SCHEME = "none"

_VERIFIERS: dict[str, Verifier] = {}
#: What every verifier must declare (see :class:`~ingest.verify.base.Verifier`).
_DECLARED = ("options", "credential_headers", "credential_query")

V = TypeVar("V", bound=type)


class UnknownSchemeError(ValueError):
    """No verifier is registered under that name (a config error, not a rejection)."""


def register(name: str) -> Callable[[V], V]:
    """Class decorator: instantiate the verifier class and register it as ``name``."""

    def decorator(cls: V) -> V:
        if name == NO_SCHEME or name in _VERIFIERS:
            raise ValueError(f"signature scheme {name!r} is already registered")
        cls.name = name
        verifier = cls()
        missing = [attribute for attribute in _DECLARED if not hasattr(verifier, attribute)]
        if missing:
            raise TypeError(f"signature scheme {name!r} must declare {', '.join(missing)}")
        _VERIFIERS[name] = verifier
        return cls

    return decorator


def scheme_names() -> list[str]:
    return sorted(_VERIFIERS)


def get_verifier(name: str) -> Verifier:
    try:
        return _VERIFIERS[name]
    except KeyError:
        expected = ", ".join(scheme_names())
        raise UnknownSchemeError(
            f"unknown signature scheme {name!r}, expected one of: {expected}"
        ) from None


def credential_headers() -> frozenset[str]:
    """Every header (lower-case) a registered verifier reads a credential from."""
    return frozenset(h.lower() for v in _VERIFIERS.values() for h in v.credential_headers)


def credential_query() -> frozenset[str]:
    """Every query parameter a registered verifier reads a credential from."""
    return frozenset(q for v in _VERIFIERS.values() for q in v.credential_query)


def check_platform_schemes(platforms: Iterable[Platform]) -> None:
    """Every platform's scheme (its own, or the one used when it signs nothing) must be a
    registered verifier: a unit naming an unknown scheme fails at start-up."""
    for platform in platforms:
        try:
            get_verifier(platform.scheme)
        except UnknownSchemeError as exc:
            raise ValueError(f"platform {platform.id!r}: {exc}") from None
