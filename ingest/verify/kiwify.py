"""Kiwify (sales webhooks): ``?signature=<hex>`` appended to the URL, lowercase
hex(HMAC-SHA1(webhook token, raw body)). No auth header; the token is never sent.
(Kiwify *banking* webhooks use Ed25519 and are not this scheme.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import check_signature, hmac_digest
from ingest.verify.registry import register

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

PARAM = "signature"


@register("kiwify")
class KiwifyVerifier:
    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()
    credential_headers: ClassVar[tuple[str, ...]] = ()
    credential_query: ClassVar[tuple[str, ...]] = (PARAM,)

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        values = [value for value in request.query.get(PARAM, []) if value.strip()]
        if not values:
            raise SignatureRejected(f"missing query parameter {PARAM}")
        expected = hmac_digest(config, "sha1", request.body)
        check_signature([expected], values, "hex", f"query parameter {PARAM}")
