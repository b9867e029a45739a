"""``t=<unix>,v1=<hex>`` headers: hex HMAC-SHA256 of ``"<t>.<raw body>"`` plus a
freshness window, in both directions (Stripe, Calendly)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import check_signature, hmac_digest, required_header

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def parse_signature_header(value: str, header: str) -> tuple[str, list[str]]:
    """Split ``t=..,v1=..[,v1=..]`` into the timestamp and the v1 signatures.

    Unknown keys (``v0``, future versions) are ignored, as the official SDKs do.
    """
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise SignatureRejected(f"malformed header {header}")
        if key == "t":
            timestamps.append(val.strip())
        elif key == "v1":
            signatures.append(val.strip())
    if len(timestamps) != 1 or not _UNIX_SECONDS.fullmatch(timestamps[0]):
        raise SignatureRejected(f"malformed header {header}: expected one t=<unix seconds>")
    if not signatures:
        raise SignatureRejected(f"malformed header {header}: no v1 signature")
    return timestamps[0], signatures


class TimestampedHmacVerifier:
    """Base of the timestamped schemes: set ``header`` and ``tolerance`` (seconds)."""

    name: ClassVar[str]
    header: ClassVar[str]
    tolerance: ClassVar[int]
    options: ClassVar[frozenset[str]] = frozenset({"header", "tolerance_seconds"})
    credential_query: ClassVar[tuple[str, ...]] = ()

    @property
    def credential_headers(self) -> tuple[str, ...]:
        return (self.header,)

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        timestamp, signatures = parse_signature_header(required_header(request, header), header)
        expected = hmac_digest(config, "sha256", f"{timestamp}.".encode() + request.body)
        check_signature([expected], signatures, "hex", f"header {header}")
        tolerance = config.tolerance_seconds or self.tolerance
        if abs(request.received_at - int(timestamp)) > tolerance:
            raise SignatureRejected(f"timestamp outside tolerance ({tolerance} s)")
