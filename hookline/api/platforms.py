"""Platform presets, read-only: what the console offers when an integration is created and
which event identifiers it can pick conversion events from."""

from __future__ import annotations

from hookline.api.call import ApiError, Call
from platforms import Platform, UnknownPlatformError, all_platforms
from platforms import get_platform as platform_of
from platforms.unit import UNSIGNED
from schemas.api import PlatformEvent, PlatformList, PlatformOut


def platform_out(platform: Platform) -> PlatformOut:
    """The platform as the API shows it. Its scheme is the platform's effective one (what
    an integration of it shows, :func:`ingest.signing.scheme_of`): a platform that signs
    nothing shows its fallback scheme and ``platform_signs: false``."""
    preset = platform.preset
    return PlatformOut.from_record(
        preset,
        events=[PlatformEvent(identification=k, label=v) for k, v in preset.events.items()],
        default_region=preset.default_region,
        signature_scheme=platform.scheme,
        platform_signs=preset.signature_scheme != UNSIGNED,
        covers=list(preset.covers),
    )


async def list_platforms(call: Call) -> PlatformList:
    return PlatformList(items=[platform_out(platform) for platform in all_platforms()])


async def get_platform(call: Call) -> PlatformOut:
    try:
        return platform_out(platform_of(call.path("id")))
    except UnknownPlatformError as exc:
        raise ApiError(404, str(exc)) from None
