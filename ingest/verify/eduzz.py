"""Eduzz. New webhooks (``myeduzz.*``, ``nutror.*``, ``blinket.*``): ``x-signature`` =
hex(HMAC-SHA256(secret key, raw body)). Legacy webhooks (deprecated 2024): the
static token in a body field (``origin_secret``, ``origin`` or ``api_key``, declared in
platforms/eduzz.py). The header wins when present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.verify.base import UnverifiedRequest
from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.checks import header_value
from ingest.verify.registry import register
from ingest.verify.tokens import check_token
from platforms import scheme_fields

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig


@register("eduzz")
class EduzzVerifier(BodyHmacVerifier):
    header = "x-signature"

    def __init__(self) -> None:
        #: The legacy webhooks' body fields (platforms/eduzz.py ``credential_fields``).
        self.legacy_fields = scheme_fields(self.name)

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        if header_value(request, header) is not None:
            super().verify(request, config)
        else:
            check_token(request, config, header, self.legacy_fields)
