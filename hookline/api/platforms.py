"""Platform presets, read-only: what the console offers when an integration is created and
which event identifiers it can pick conversion events from."""

from __future__ import annotations

from hookline.api.call import ApiError, Call
from platforms import Preset, UnknownPlatformError, all_presets, get_preset
from schemas.api import PlatformEvent, PlatformList, PlatformOut


def platform_out(preset: Preset) -> PlatformOut:
    return PlatformOut.from_record(
        preset,
        events=[PlatformEvent(identification=k, label=v) for k, v in preset.events.items()],
        default_region=preset.default_region,
    )


async def list_platforms(call: Call) -> PlatformList:
    return PlatformList(items=[platform_out(preset) for preset in all_presets()])


async def get_platform(call: Call) -> PlatformOut:
    try:
        return platform_out(get_preset(call.path("id")))
    except UnknownPlatformError as exc:
        raise ApiError(404, str(exc)) from None
