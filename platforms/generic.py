"""Generic webhook: no platform conventions; the mapping comes from discovery.

``GUESS_EVENT`` is the fallback event source shared by presets whose payload format is not
publicly documented: it is a guess over common key names, never a documented fact.
"""

from platforms.unit import Platform, Preset

#: Labelled guess: the first of the usual event keys that is present.
GUESS_EVENT = "event || type || status"

PRESET = Preset(
    id="generic",
    display_name="Webhook genérico",
    signature_scheme="none",
    event=GUESS_EVENT,
    mapping=None,
    delivery_id=None,
    events={},
    documented=False,
    source="hookline.discovery.suggest (no platform documentation applies)",
    notes=(
        "Any JSON or form webhook. Send a few payloads, then accept the mapping proposed by "
        "hookline.discovery.suggest. Signatures: configure the hmac or header_token scheme."
    ),
)

#: Signs nothing of its own: a secret is checked with the configurable HMAC (header,
#: algorithm, encoding, prefix), which most platforms without a preset use.
PLATFORM = Platform(preset=PRESET, unsigned_scheme="hmac")


def undocumented(platform_id: str, display_name: str, signature_scheme: str, notes: str) -> Preset:
    """A preset for a platform whose payload format could not be found in public docs."""
    return Preset(
        id=platform_id,
        display_name=display_name,
        signature_scheme=signature_scheme,
        event=GUESS_EVENT,
        mapping=None,
        delivery_id=None,
        events={},
        documented=False,
        source="none found (searched public docs, code and Q&A pages)",
        notes=notes,
    )
