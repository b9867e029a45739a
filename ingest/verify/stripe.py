"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=..]``, hex(HMAC-SHA256(endpoint
secret ``whsec_...`` as UTF-8, ``"<t>.<raw body>"``)); any v1 may match (secret
rolling). Default tolerance 300 s, applied to future timestamps too."""

from ingest.verify.registry import register
from ingest.verify.timestamped import TimestampedHmacVerifier


@register("stripe")
class StripeVerifier(TimestampedHmacVerifier):
    header = "Stripe-Signature"
    tolerance = 300
