"""Webhook signature and token verification: the gate between a raw request and Kafka.

Pure code, no I/O. :func:`verify` turns an :class:`UnverifiedRequest` into a
:class:`VerifiedRequest` or raises :class:`SignatureRejected`; only verified
requests may be published. Each scheme is one module, registered by name with
``@register("name")``; which scheme checks which platform is said by the platform's unit
(``platforms/<id>.py``), and every unit's scheme is checked against this registry when
this package is imported.
"""

# Importing a scheme module registers it.
from ingest.verify import (  # noqa: F401
    asaas,
    calendly,
    eduzz,
    field_token,
    generic_hmac,
    header_token,
    hotmart,
    hub_signature,
    kiwify,
    mercadopago,
    nuvemshop,
    shopify,
    stripe,
    ticto,
    twilio,
    typeform,
    woocommerce,
    yampi,
)
from ingest.verify.base import Headers, SignatureRejected, UnverifiedRequest, Verifier
from ingest.verify.gate import VerifiedRequest, verify
from ingest.verify.registry import (
    NO_SCHEME,
    SchemeOptionsError,
    UnknownSchemeError,
    check_config,
    check_platform_schemes,
    checked_config,
    credential_headers,
    credential_query,
    get_verifier,
    register,
    scheme_names,
)
from platforms import all_platforms

check_platform_schemes(all_platforms())

__all__ = [
    "NO_SCHEME",
    "Headers",
    "SchemeOptionsError",
    "SignatureRejected",
    "UnknownSchemeError",
    "UnverifiedRequest",
    "VerifiedRequest",
    "Verifier",
    "check_config",
    "checked_config",
    "credential_headers",
    "credential_query",
    "get_verifier",
    "register",
    "scheme_names",
    "verify",
]
