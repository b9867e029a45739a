"""Hotmart (webhook v2.0.0): static token in ``X-HOTMART-HOTTOK``; older v2 payloads
carry it as a top-level body field instead (``hottok``, declared in platforms/hotmart.py).
No HMAC."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("hotmart")
class HotmartVerifier(TokenVerifier):
    header = "X-HOTMART-HOTTOK"
