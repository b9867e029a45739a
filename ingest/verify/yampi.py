"""Yampi: ``X-Yampi-Hmac-SHA256`` = base64(HMAC-SHA256(webhook secret, raw body))."""

from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.registry import register


@register("yampi")
class YampiVerifier(BodyHmacVerifier):
    header = "X-Yampi-Hmac-SHA256"
    encoding = "base64"
