"""Ticto (v2.0): static token in the body field ``token`` (JSON or form). No HMAC."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("ticto")
class TictoVerifier(TokenVerifier):
    fields = ("token",)
    options = frozenset()
