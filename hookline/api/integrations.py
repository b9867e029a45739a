"""Integrations (one webhook URL each), their URL tokens and their field mapping.

Creating an integration applies its platform's preset (:mod:`platforms`): the
preset's mapping, when it has one, is saved as the integration's mapping."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import ValidationError

from core.config.state import secret_hash
from core.serverkey import TokenBox
from hookline.api.call import ApiError, Call, not_found
from hookline.api.discovery import unresolved_warnings
from ingest.signing import check_options, scheme_of
from ingest.verify import UnknownSchemeError, get_verifier
from platforms import Preset, UnknownPlatformError, get_preset
from schemas.api import (
    ErrorDetail,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationList,
    IntegrationOut,
    IntegrationPatch,
    IntegrationWithToken,
    MappingSaved,
    PresetApplied,
    RotateToken,
)
from schemas.config import Account, Integration, IntegrationMapping, UrlToken, config_key
from schemas.mapping import Mapping
from schemas.signature import SignatureOptions
from schemas.types import new_id, utcnow

Out = TypeVar("Out", bound=IntegrationOut)


def new_token() -> str:
    """A URL token: 24 random bytes (192 bits), URL-safe."""
    return secrets.token_urlsafe(24)


def unknown_name(loc: str, exc: Exception) -> ApiError:
    """A 422 for a body field naming what no registry knows; the message lists the valid
    names, as a validation error of that field would."""
    message = str(exc)
    return ApiError(
        422, f"invalid request body: {loc}: {message}", [ErrorDetail(loc=loc, message=message)]
    )


def platform_preset(platform: str) -> Preset:
    """The preset of a platform id; an unknown id is a 422 that lists the valid ones."""
    try:
        return get_preset(platform)
    except UnknownPlatformError as exc:
        raise unknown_name("platform", exc) from None


def known_scheme(options: SignatureOptions | None) -> None:
    """A scheme override must name a registered verifier; an unknown one is a 422 that
    lists the valid ones (checked here: schemas/ does not import the registry)."""
    if options is not None and options.scheme is not None:
        try:
            get_verifier(options.scheme)
        except UnknownSchemeError as exc:
            raise unknown_name("signature.scheme", exc) from None


def integration_out(
    integration: Integration, output: type[Out] = IntegrationOut, **extra: Any
) -> Out:
    """The integration as the API shows it; its scheme is the gateway's rule
    (:func:`ingest.signing.scheme_of`), not a copy of it. An ids-only platform says so
    (``platform_notice``): its webhooks carry no lead to map."""
    try:
        notice = get_preset(integration.platform).ids_only
    except UnknownPlatformError:
        notice = None
    extra.setdefault("platform_notice", notice)
    return output.from_integration(integration, signature_scheme=scheme_of(integration), **extra)


def mapping_record(integration: Integration, mapping: Mapping) -> IntegrationMapping:
    """The config record holding an integration's mapping (what PUT /mapping writes)."""
    return IntegrationMapping(id=integration.id, account_id=integration.account_id, mapping=mapping)


def url_token(token: str, integration_id: str, box: TokenBox | None) -> UrlToken:
    """A token as stored: its hash (what the gateway looks up) and, with a server key,
    the token sealed under it (what lets its owner read the URL again)."""
    sealed = box.seal(token, integration_id) if box is not None else None
    return UrlToken(hash=secret_hash(token), sealed=sealed)


def new_integration(
    account: Account, spec: IntegrationCreate, box: TokenBox | None = None
) -> tuple[Integration, str]:
    """The record for a new integration and its URL token (stored hashed and, with a
    server key, sealed; without one it is shown once).

    The one place an integration is born; its platform must be a preset id (422 if not),
    whose mapping :func:`preset_mapping` turns into the integration's first mapping."""
    platform_preset(spec.platform)
    token = new_token()
    integration_id = new_id("int")
    integration = Integration(
        id=integration_id,
        account_id=account.id,
        name=spec.name,
        platform=spec.platform,
        tokens=[url_token(token, integration_id, box)],
    )
    return integration, token


def preset_mapping(integration: Integration, preset: Preset) -> IntegrationMapping | None:
    """The preset's default mapping as the new integration's mapping record, if it has one.

    The user can still replace every path with PUT /mapping."""
    return mapping_record(integration, preset.mapping) if preset.mapping is not None else None


def preset_applied(preset: Preset, mapping: IntegrationMapping | None) -> PresetApplied:
    return PresetApplied.from_record(
        preset,
        mapping_applied=mapping is not None,
        default_region=preset.default_region,
        covers=list(preset.covers),
    )


def with_url(call: Call, integration: Integration, token: str) -> IntegrationWithToken:
    url = f"{call.runtime.settings.public_url.rstrip('/')}/hooks/{token}"
    return integration_out(integration, IntegrationWithToken, token=token, url=url)


async def create_integration(call: Call) -> IntegrationCreated:
    account = call.account
    if not account.plan.allows_webhooks:
        raise ApiError(
            403, f"webhooks need the Business or Elite plan; this account is on {account.plan}"
        )
    integration, token = new_integration(account, call.body, TokenBox.of(call.runtime.settings))
    preset = get_preset(integration.platform)
    mapping = preset_mapping(integration, preset)
    await call.runtime.writer.put(integration)
    if mapping is not None:
        await call.runtime.writer.put(mapping)
    created = with_url(call, integration, token)
    applied = preset_applied(preset, mapping)
    return IntegrationCreated(**created.model_dump(exclude={"preset"}), preset=applied)


async def list_integrations(call: Call) -> IntegrationList:
    integrations = call.state.integrations_of(call.account.id)
    return IntegrationList(items=[integration_out(i) for i in integrations])


async def get_integration(call: Call) -> IntegrationOut:
    return integration_out(call.owned(Integration, call.path("id")))


async def update_integration(call: Call) -> IntegrationOut:
    body: IntegrationPatch = call.body
    known_scheme(body.signature)
    integration = call.owned(Integration, call.path("id"))
    applied: PresetApplied | None = None
    if changes := body.changes():
        switched = "platform" in changes and changes["platform"] != integration.platform
        preset = platform_preset(changes["platform"]) if "platform" in changes else None
        integration = integration.model_copy(update={**changes, "updated_at": utcnow()})
        try:  # the signature options must fit the scheme the result will use
            check_options(integration)
        except ValidationError as exc:
            raise ApiError.invalid(exc, "signature") from None
        await call.runtime.writer.put(integration)
        if switched and preset is not None:
            # The new platform's payloads: its preset's mapping replaces the old one (a
            # preset without a mapping leaves the saved one, and the answer says so).
            mapping = preset_mapping(integration, preset)
            if mapping is not None:
                await call.runtime.writer.put(mapping)
            applied = preset_applied(preset, mapping)
    return integration_out(integration, preset=applied)


async def delete_integration(call: Call) -> None:
    integration = call.owned(Integration, call.path("id"))
    state = call.state
    events = state.events_of(integration.id)
    # Children first: if this stops half-way, the integration is still there to delete again.
    keys = [action.key for event in events for action in state.actions_of(event.id)]
    keys += [event.key for event in events]
    if state.mapping(integration.id) is not None:
        keys.append(config_key("mapping", integration.id))
    keys.append(integration.key)
    for key in keys:
        await call.runtime.writer.delete(key)


async def rotate_token(call: Call) -> IntegrationWithToken:
    body: RotateToken = call.body
    integration = call.owned(Integration, call.path("id"))
    now = utcnow()
    until = now + timedelta(seconds=body.grace_seconds)
    # Current tokens start their grace period; tokens already past theirs are dropped.
    kept = [
        t.model_copy(update={"expires_at": t.expires_at or until})
        for t in integration.tokens
        if t.expires_at is None or t.expires_at > now
    ]
    token = new_token()
    current = url_token(token, integration.id, TokenBox.of(call.runtime.settings))
    integration = integration.model_copy(update={"tokens": [*kept, current], "updated_at": now})
    await call.runtime.writer.put(integration)
    return with_url(call, integration, token)


async def get_url(call: Call) -> IntegrationWithToken:
    """The current URL again, read from the sealed token. 409 when the token was made
    without a server key (or under another one): rotating it issues a readable one."""
    integration = call.owned(Integration, call.path("id"))
    box = TokenBox.of(call.runtime.settings)
    current = [t for t in integration.tokens if t.expires_at is None]
    token = None
    if box is not None and current and current[-1].sealed is not None:
        token = box.open(current[-1].sealed, integration.id)
    if token is None:
        raise ApiError(
            409,
            "this URL was shown once, when it was made, and is not kept readable;"
            " POST /api/integrations/{id}/rotate-token issues a new one",
        )
    return with_url(call, integration, token)


async def put_mapping(call: Call) -> MappingSaved:
    """Save a mapping: 422 naming each expression that would fail on every webhook (an
    unknown function, a wrong number of arguments); saved with a warning when a required
    field is found on none of the integration's recent webhooks."""
    integration = call.owned(Integration, call.path("id"))
    mapping: Mapping = call.body
    if broken := mapping.broken_sources():
        details = [ErrorDetail(loc=loc, message=message) for loc, message in broken]
        found = "; ".join(f"{d.loc}: {d.message}" for d in details)
        raise ApiError(422, f"invalid request body: {found}", details)
    warnings = await unresolved_warnings(call, integration, mapping)
    record = mapping_record(integration, mapping)
    previous = call.state.get("mapping", integration.id)
    if previous is not None:
        record = record.model_copy(update={"created_at": previous.created_at})
    await call.runtime.writer.put(record)
    return MappingSaved(**dict(record.mapping), warnings=warnings)


async def get_mapping(call: Call) -> Mapping:
    integration = call.owned(Integration, call.path("id"))
    mapping = call.state.mapping(integration.id)
    if mapping is None:
        raise not_found("mapping")
    return mapping
