"""Webhook signature and token verification: the gate between a raw request and Kafka.

Pure code, no I/O. :func:`verify` turns an :class:`UnverifiedRequest` into a
:class:`VerifiedRequest` or raises :class:`SignatureRejected`; only verified
requests may be published. Each scheme is one module, registered by name with
``@register("name")``; :data:`PLATFORM_SCHEMES` maps platform ids to schemes.
"""

# Importing a scheme module registers it.
from ingest.verify import (  # noqa: F401
    asaas,
    calendly,
    eduzz,
    generic_hmac,
    header_token,
    hotmart,
    kiwify,
    nuvemshop,
    shopify,
    stripe,
    ticto,
    twilio,
    woocommerce,
    yampi,
)
from ingest.verify.base import Headers, SignatureRejected, UnverifiedRequest, Verifier
from ingest.verify.gate import VerifiedRequest, verify
from ingest.verify.registry import (
    NO_SCHEME,
    PLATFORM_SCHEMES,
    UnknownSchemeError,
    get_verifier,
    register,
    scheme_names,
)

__all__ = [
    "NO_SCHEME",
    "PLATFORM_SCHEMES",
    "Headers",
    "SignatureRejected",
    "UnknownSchemeError",
    "UnverifiedRequest",
    "VerifiedRequest",
    "Verifier",
    "get_verifier",
    "register",
    "scheme_names",
    "verify",
]
