"""Generic static token in a configurable header (default ``X-Webhook-Token``).

``prefix`` lets it read ``Authorization: Bearer <token>`` (header ``Authorization``,
prefix ``"Bearer "``)."""

from ingest.verify.registry import register
from ingest.verify.tokens import TokenVerifier


@register("header_token")
class HeaderTokenVerifier(TokenVerifier):
    header = "X-Webhook-Token"
    options = frozenset({"header", "prefix"})
