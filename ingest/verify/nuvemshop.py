"""Nuvemshop / Tiendanube: ``X-Linkedstore-HMAC-SHA256`` = hex(HMAC-SHA256(app secret,
raw body)) (PHP ``hash_hmac`` default output). Hex is compared case-insensitively."""

from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.registry import register


@register("nuvemshop")
class NuvemshopVerifier(BodyHmacVerifier):
    header = "X-Linkedstore-HMAC-SHA256"
