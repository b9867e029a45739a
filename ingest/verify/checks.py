"""Checks shared by every scheme: where credentials travel, how digests are decoded,
and the only constant-time comparisons of the package."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl

from ingest.verify.base import SignatureRejected, UnverifiedRequest

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

Algorithm = Literal["sha1", "sha256", "sha512"]
Encoding = Literal["hex", "base64"]

_HEX = re.compile(r"[0-9A-Fa-f]+")


def header_value(request: UnverifiedRequest, name: str) -> str | None:
    """The stripped header value, or None when absent or blank."""
    value = request.headers.get(name, "").strip()
    return value or None


def required_header(request: UnverifiedRequest, name: str) -> str:
    value = header_value(request, name)
    if value is None:
        raise SignatureRejected(f"missing header {name}")
    return value


def strip_prefix(value: str, prefix: str | None, where: str) -> str:
    """Remove a configured prefix such as ``sha256=``; a value without it is malformed."""
    if not prefix:
        return value
    if not value.startswith(prefix):
        raise SignatureRejected(f"malformed {where}: expected prefix {prefix!r}")
    return value[len(prefix) :].strip()


def form_params(body: bytes) -> list[tuple[str, str]]:
    """A form body as ordered pairs; never raises (undecodable bytes become U+FFFD)."""
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def body_fields(request: UnverifiedRequest) -> dict[str, str]:
    """Top-level string (or integer) fields of a JSON object body, else of a form body.

    Never raises: a body that is neither yields no fields, so its check fails closed.
    """
    if request.body.lstrip()[:1] in (b"{", b"["):
        try:
            parsed = json.loads(request.body)
        except (ValueError, RecursionError):
            return {}
        if not isinstance(parsed, dict):
            return {}
        return {
            key: str(value)
            for key, value in parsed.items()
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        }
    fields: dict[str, str] = {}
    for key, value in form_params(request.body):
        fields.setdefault(key, value)
    return fields


def secret_bytes(config: SignatureConfig) -> bytes:
    return config.secret.get_secret_value().encode("utf-8")


def hmac_digest(config: SignatureConfig, algorithm: Algorithm, message: bytes) -> bytes:
    return hmac.digest(secret_bytes(config), message, algorithm)  # one call into OpenSSL


def decode_digest(value: str, encoding: Encoding, size: int) -> bytes | None:
    """Decode a received digest; None when it is not ``size`` bytes of valid hex/base64."""
    value = value.strip()
    try:
        if encoding == "hex":
            raw = bytes.fromhex(value) if _HEX.fullmatch(value) else b""
        else:
            raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None
    return raw if len(raw) == size else None


def digests_match(expected: Iterable[bytes], received: Iterable[bytes]) -> bool:
    """True when any expected digest equals any received one; every pair is compared."""
    results = [hmac.compare_digest(e, r) for e in expected for r in received]
    return any(results)


def check_signature(
    expected: list[bytes], received: Iterable[str], encoding: Encoding, where: str
) -> None:
    """Reject unless one received value decodes to one of the expected digests."""
    size = len(expected[0])
    decoded = [raw for value in received if (raw := decode_digest(value, encoding, size))]
    if not decoded:
        raise SignatureRejected(f"malformed {where}")
    if not digests_match(expected, decoded):
        raise SignatureRejected("signature mismatch")


def token_matches(config: SignatureConfig, received: str) -> bool:
    """Static token compare; hashing both sides first hides the secret's length too."""
    ours = hashlib.sha256(secret_bytes(config)).digest()
    theirs = hashlib.sha256(received.encode("utf-8", errors="surrogatepass")).digest()
    return digests_match([ours], [theirs])
