"""Eduzz. New webhooks (``myeduzz.*``, ``nutror.*``, ``blinket.*``): ``x-signature`` =
hex(HMAC-SHA256(secret key, raw body)). Legacy webhooks (deprecated 2024): the
static token in a body field, ``origin_secret`` (the docs also say ``origin``) or
``api_key``, kept by Eduzz "for compatibility". The header wins when present."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.verify.base import UnverifiedRequest
from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.checks import header_value
from ingest.verify.registry import register
from ingest.verify.tokens import check_token

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

LEGACY_FIELDS = ("origin_secret", "origin", "api_key")


@register("eduzz")
class EduzzVerifier(BodyHmacVerifier):
    header = "x-signature"

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        header = config.header or self.header
        if header_value(request, header) is not None:
            super().verify(request, config)
        else:
            check_token(request, config, header, LEGACY_FIELDS)
