"""WooCommerce: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, raw body)).

The creation ping is a form body ``webhook_id=<id>``, signed the same way."""

from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.registry import register


@register("woocommerce")
class WooCommerceVerifier(BodyHmacVerifier):
    header = "X-WC-Webhook-Signature"
    encoding = "base64"
