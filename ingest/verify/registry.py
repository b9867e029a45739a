"""Verifiers by name. Duplicate names are refused; an unknown name lists the valid ones.

Also what is derived from the registry: the credential headers and query parameters the
verifiers read, the check that a signature config fits its scheme (:func:`checked_config`,
done here rather than in ``schemas/``, which imports no stage), and the check that every
platform unit binds a registered scheme (:func:`check_platform_schemes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, TypeAdapter

from ingest.verify.base import Verifier
from schemas.signature import OPTION_FIELDS, SignatureConfig

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


class SchemeOptionsError(ValueError):
    """A signature config sets an option its scheme does not read."""


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


def check_config(config: SignatureConfig) -> None:
    """Raise unless ``config`` names a registered scheme (:class:`UnknownSchemeError`) and
    sets only the options that scheme reads (:class:`SchemeOptionsError`)."""
    accepted = get_verifier(config.scheme).options
    unused = [f for f in OPTION_FIELDS if getattr(config, f) is not None and f not in accepted]
    if unused:
        raise SchemeOptionsError(f"scheme {config.scheme!r} does not use: {', '.join(unused)}")


def _fits_scheme(config: SignatureConfig) -> SignatureConfig:
    check_config(config)
    return config


_CHECKED = TypeAdapter(Annotated[SignatureConfig, AfterValidator(_fits_scheme)])


def checked_config(fields: dict[str, Any]) -> SignatureConfig:
    """A :class:`SignatureConfig` that also fits the registry (:func:`check_config`).

    Raises ``pydantic.ValidationError`` for any problem, a scheme mismatch included, so a
    caller handles one error type and an API answers it like any other invalid field."""
    return _CHECKED.validate_python(fields)


def check_platform_schemes(platforms: Iterable[Platform]) -> None:
    """Every platform's scheme (its own, or the one used when it signs nothing) must be a
    registered verifier: a unit naming an unknown scheme fails at start-up."""
    for platform in platforms:
        try:
            get_verifier(platform.scheme)
        except UnknownSchemeError as exc:
            raise ValueError(f"platform {platform.id!r}: {exc}") from None
