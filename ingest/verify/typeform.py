"""Typeform: ``Typeform-Signature: sha256=<base64(HMAC-SHA256(secret, raw body))>``.

Source: Typeform Developers, "Secure your webhooks"
(https://www.typeform.com/developers/webhooks/secure-your-webhooks/): the header, the
``sha256=`` prefix and base64 encoding of the HMAC of the payload with the webhook's secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.verify.base import UnverifiedRequest
from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.checks import check_signature, hmac_digest, required_header, strip_prefix
from ingest.verify.registry import register

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

PREFIX = "sha256="


@register("typeform")
class TypeformVerifier(BodyHmacVerifier):
    header = "Typeform-Signature"
    encoding = "base64"

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        where = f"header {header}"
        value = strip_prefix(required_header(request, header), PREFIX, where)
        expected = hmac_digest(config, "sha256", request.body)
        check_signature([expected], [value], "base64", where)
