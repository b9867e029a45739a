"""Verifiers by name. Duplicate names are refused; an unknown name lists the valid ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ingest.verify.base import Verifier

#: The scheme of a request accepted without a configured secret; never registrable.
NO_SCHEME = "none"

#: Platform id -> signature scheme. ``generic`` integrations use the configurable HMAC.
PLATFORM_SCHEMES: dict[str, str] = {
    "hotmart": "hotmart",
    "eduzz": "eduzz",
    "kiwify": "kiwify",
    "shopify": "shopify",
    "woocommerce": "woocommerce",
    "yampi": "yampi",
    "stripe": "stripe",
    "calendly": "calendly",
    "nuvemshop": "nuvemshop",
    "twilio": "twilio",
    "asaas": "asaas",
    "ticto": "ticto",
    "generic": "hmac",
}

_VERIFIERS: dict[str, Verifier] = {}

V = TypeVar("V", bound=type)


class UnknownSchemeError(ValueError):
    """No verifier is registered under that name (a config error, not a rejection)."""


def register(name: str) -> Callable[[V], V]:
    """Class decorator: instantiate the verifier class and register it as ``name``."""

    def decorator(cls: V) -> V:
        if name == NO_SCHEME or name in _VERIFIERS:
            raise ValueError(f"signature scheme {name!r} is already registered")
        cls.name = name
        _VERIFIERS[name] = cls()
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
