"""Generic HMAC of the raw body (scheme ``hmac``, platform ``generic``).

Header (default ``X-Webhook-Signature``), algorithm (default sha256), encoding
(default hex) and a prefix such as ``sha256=`` come from the config."""

from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.registry import register


@register("hmac")
class GenericHmacVerifier(BodyHmacVerifier):
    header = "X-Webhook-Signature"
    options = frozenset({"header", "algorithm", "encoding", "prefix"})
