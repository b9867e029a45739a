"""Static shared tokens: sent as-is in a header or a body field, compared for equality."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import body_fields, header_value, strip_prefix, token_matches

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig


def check_token(
    request: UnverifiedRequest,
    config: SignatureConfig,
    header: str | None,
    fields: tuple[str, ...] = (),
) -> None:
    """The header wins when present; otherwise any of the body ``fields`` may carry it."""
    value = header_value(request, header) if header else None
    if value is not None:
        candidates = [strip_prefix(value, config.prefix, f"header {header}")]
    else:
        found = body_fields(request) if fields else {}
        candidates = [found[name] for name in fields if name in found]
    if not candidates:
        places = [f"header {header}"] if header else []
        places += [f"body field {name}" for name in fields]
        raise SignatureRejected("missing " + " or ".join(places))
    if not any([token_matches(config, candidate) for candidate in candidates]):
        raise SignatureRejected("token mismatch")


class TokenVerifier:
    """Base of the static-token schemes: set ``header`` and/or ``fields``."""

    name: ClassVar[str]
    header: ClassVar[str | None] = None
    fields: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[frozenset[str]] = frozenset({"header"})

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        check_token(request, config, config.header or self.header, self.fields)
