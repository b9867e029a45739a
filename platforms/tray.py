"""Tray: thin notifications (seller_id, scope_id, scope_name, act, app_code).

Source: shared/samples/SIGNATURES.md (research notes, medium confidence); the official Tray
developer page could not be read in the material available here.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset

PRESET = Preset(
    id="tray",
    display_name="Tray",
    signature_scheme="none",
    event="join('.', [scope_name, act][?@])",
    mapping=None,
    delivery_id=None,
    events={},
    documented=False,
    source="shared/samples/SIGNATURES.md (Tray row, medium confidence)",
    notes=(
        "Reported shape: a thin notification naming the resource (scope_name, scope_id) and "
        "the action (act); no customer data, so no lead mapping. Not verified against Tray's "
        "own documentation: treat the event expression as a guess and check with discovery."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if {"scope_name", "act", "seller_id"} <= set(body):
        return 0.6, "scope_name + act + seller_id (reported shape, not verified in docs)"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
