"""Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(client secret, raw body)).

Shopify escapes ``/`` as ``\\/`` in some bodies: only the raw bytes verify."""

from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.registry import register


@register("shopify")
class ShopifyVerifier(BodyHmacVerifier):
    header = "X-Shopify-Hmac-Sha256"
    encoding = "base64"
