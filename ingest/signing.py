"""Which verifier checks an integration's webhooks, and the request it is given.

The scheme is the integration's override (``signature.scheme``), else its
platform's (:attr:`platforms.unit.Platform.scheme`): the scheme the platform signs with,
or for a platform that signs nothing ``header_token`` (a static token in
``X-Webhook-Token``, or a header of the user's choice). An unknown platform is treated
as ``generic`` (``hmac``). Nothing is checked until a secret is set; from then on every
request is checked (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping

from ingest.verify import UnverifiedRequest, checked_config
from platforms import GENERIC, UnknownPlatformError, get_platform
from schemas.config import Integration
from schemas.signature import SignatureConfig, SignatureOptions


def platform_scheme(platform: str) -> str:
    try:
        return get_platform(platform).scheme
    except UnknownPlatformError:
        return get_platform(GENERIC).scheme


def scheme_of(integration: Integration) -> str:
    """The scheme that checks this integration's webhooks once it has a secret."""
    override = integration.signature.scheme if integration.signature else None
    return override or platform_scheme(integration.platform)


def build_config(integration: Integration, secret: str) -> SignatureConfig:
    """Raises ``pydantic.ValidationError`` when the scheme is not registered or an option
    does not apply to it."""
    options = integration.signature or SignatureOptions()
    return checked_config(
        {
            "scheme": scheme_of(integration),
            "secret": secret,
            **options.model_dump(exclude={"scheme"}, exclude_none=True),
        }
    )


#: integration id -> (the integration record it was built from, its config). A config
#: change replaces the record, so a hit needs the very same record object.
_BUILT: dict[str, tuple[Integration, SignatureConfig | None]] = {}


def signature_config(integration: Integration) -> SignatureConfig | None:
    """The verifier's config, or None while the integration has no secret (built once
    per integration record: validating it took 4% of the gateway's CPU per request)."""
    built = _BUILT.get(integration.id)
    if built is not None and built[0] is integration:
        return built[1]
    config = build_config(integration, integration.secret) if integration.secret else None
    _BUILT[integration.id] = (integration, config)
    return config


def check_options(integration: Integration) -> None:
    """Validate the signature options against the scheme, with or without a secret
    (the API calls this before saving; ``pydantic.ValidationError`` on a mismatch)."""
    build_config(integration, integration.secret or "placeholder")


def signature_headers(integration: Integration) -> tuple[str, ...]:
    """A header the integration configured to carry its credential (dropped from the envelope)."""
    header = integration.signature.header if integration.signature else None
    return (header,) if header else ()


def unverified_request(
    *,
    public_url: str,
    raw_path: str,
    method: str,
    headers: Mapping[str, str],
    query: dict[str, list[str]],
    body: bytes,
    received_at: float,
) -> UnverifiedRequest:
    """The request as the platform sent it. The URL is the public one (what the user
    pasted into the platform, which Twilio signs): ``public_url`` + path + query."""
    return UnverifiedRequest(
        method=method,
        url=public_url.rstrip("/") + raw_path,
        headers=headers,
        body=body,
        received_at=received_at,
        query=query,
    )
