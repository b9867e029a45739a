"""The gate: the only way from an :class:`UnverifiedRequest` to a :class:`VerifiedRequest`."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.registry import NO_SCHEME, check_config, get_verifier

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

_GATE = object()


class VerifiedRequest:
    """A request that passed its integration's scheme (``scheme``; ``"none"`` when no
    secret is configured). Built only by :func:`verify`; immutable."""

    __slots__ = ("request", "scheme")
    request: UnverifiedRequest
    scheme: str

    def __init__(self, request: UnverifiedRequest, scheme: str, *, _gate: object = None) -> None:
        if _gate is not _GATE:
            raise TypeError("a VerifiedRequest is only built by ingest.verify.verify()")
        object.__setattr__(self, "request", request)
        object.__setattr__(self, "scheme", scheme)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"VerifiedRequest is immutable (tried to set {name!r})")

    def __repr__(self) -> str:
        return f"VerifiedRequest(scheme={self.scheme!r}, request={self.request!r})"


def verify(request: UnverifiedRequest, config: SignatureConfig | None) -> VerifiedRequest:
    """Check ``request`` against its integration's signature config; fail closed.

    Raises :class:`SignatureRejected` (with a reason safe to log and to return)
    when the credential is missing, malformed, wrong or stale, and
    :class:`~ingest.verify.registry.UnknownSchemeError` for a config naming no
    registered scheme (:class:`~ingest.verify.registry.SchemeOptionsError` for one setting
    an option its scheme does not read). ``config=None`` (no secret configured) passes as
    ``"none"``.
    """
    if config is None:
        return VerifiedRequest(request, NO_SCHEME, _gate=_GATE)
    check_config(config)
    verifier = get_verifier(config.scheme)
    try:
        verifier.verify(request, config)
    except SignatureRejected as exc:
        reason = exc.reason
        if config.secret.get_secret_value() in reason:  # defence in depth: never echo it
            reason = "signature rejected"
        raise SignatureRejected(reason, scheme=config.scheme) from None
    return VerifiedRequest(request, config.scheme, _gate=_GATE)
