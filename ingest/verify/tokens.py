"""Static shared tokens: sent as-is in a header or a body field, compared for equality.

The header is the scheme's (declared here); the body fields are the platforms' (declared in
their units, ``credential_fields``), so the fields a scheme reads and the fields masked in
history are one list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import body_fields, header_value, strip_prefix, token_matches
from platforms import scheme_fields

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
        if not places:  # a body-field scheme no platform has declared a field for
            raise SignatureRejected("no header or body field is declared for this scheme")
        raise SignatureRejected("missing " + " or ".join(places))
    if not any([token_matches(config, candidate) for candidate in candidates]):
        raise SignatureRejected("token mismatch")


class TokenVerifier:
    """Base of the static-token schemes: set ``header``; the body fields, if any, are
    those declared by the platforms the scheme checks."""

    name: ClassVar[str]
    header: ClassVar[str | None] = None
    options: ClassVar[frozenset[str]] = frozenset({"header"})
    credential_query: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        #: Body fields that may carry the token (platforms/<id>.py ``credential_fields``).
        self.fields = scheme_fields(self.name)

    @property
    def credential_headers(self) -> tuple[str, ...]:
        return (self.header,) if self.header else ()

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        check_token(request, config, config.header or self.header, self.fields)
