"""Twilio: ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL + sorted params)).

Form posts: the full URL (query included) followed by each POST parameter as
``name + value``, names sorted, each name's distinct values sorted. JSON posts:
Twilio adds ``bodySHA256=<hex sha256(body)>`` to the URL and signs the URL alone,
so the body is tied in by that hash. As in the official SDK, the URL is tried
with and without its port (Twilio's own signing is inconsistent about it).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qs, urlsplit

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import (
    check_signature,
    decode_digest,
    digests_match,
    form_params,
    hmac_digest,
    required_header,
)
from ingest.verify.registry import register

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

BODY_HASH = "bodySHA256"


def url_variants(url: str) -> list[str]:
    """The URL as given, and with its port removed, or the scheme's default port added."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return [url]
    if port:
        other = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
    else:
        default = 443 if parts.scheme == "https" else 80
        other = parts._replace(netloc=f"{parts.netloc}:{default}")
    return list(dict.fromkeys([url, parts.geturl(), other.geturl()]))


def signed_params(params: list[tuple[str, str]]) -> str:
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(values) for value in sorted(values[name]))


def check_body_hash(request: UnverifiedRequest, value: str) -> None:
    expected = hashlib.sha256(request.body).digest()
    received = decode_digest(value, "hex", len(expected))
    if received is None:
        raise SignatureRejected(f"malformed query parameter {BODY_HASH}")
    if not digests_match([expected], [received]):
        raise SignatureRejected(f"body hash mismatch ({BODY_HASH})")


@register("twilio")
class TwilioVerifier:
    name: ClassVar[str]
    header: ClassVar[str] = "X-Twilio-Signature"
    options: ClassVar[frozenset[str]] = frozenset({"header"})
    credential_headers: ClassVar[tuple[str, ...]] = (header,)
    credential_query: ClassVar[tuple[str, ...]] = ()

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        signature = required_header(request, header)
        hashes = parse_qs(urlsplit(request.url).query, keep_blank_values=True).get(BODY_HASH)
        params = "" if hashes else signed_params(form_params(request.body))
        expected = [
            hmac_digest(config, "sha1", (url + params).encode("utf-8", errors="surrogatepass"))
            for url in url_variants(request.url)
        ]
        check_signature(expected, [signature], "base64", f"header {header}")
        if hashes:
            check_body_hash(request, hashes[0])
