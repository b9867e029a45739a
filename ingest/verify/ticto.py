"""Ticto (v2.0): static token in a body field (``token``, declared in platforms/ticto.py;
JSON or form). No HMAC."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("ticto")
class TictoVerifier(TokenVerifier):
    options = frozenset()
