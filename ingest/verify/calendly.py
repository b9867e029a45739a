"""Calendly (API v2): ``Calendly-Webhook-Signature: t=<unix>,v1=<hex>``, the Stripe
construction with the webhook signing key; stale after 180 s by default."""

from ingest.verify.registry import register
from ingest.verify.timestamped import TimestampedHmacVerifier


@register("calendly")
class CalendlyVerifier(TimestampedHmacVerifier):
    header = "Calendly-Webhook-Signature"
    tolerance = 180
