"""Hotmart (webhook v2.0.0): static token in ``X-HOTMART-HOTTOK``; older v2 payloads
carry it as a top-level ``hottok`` body field instead. No HMAC."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("hotmart")
class HotmartVerifier(TokenVerifier):
    header = "X-HOTMART-HOTTOK"
    fields = ("hottok",)
