"""Zapier: payload format not publicly documented in the material available.

See ``notes``: nothing about the payload is asserted; discovery proposes the mapping.
"""

from platforms.generic import undocumented
from platforms.unit import Platform

PRESET = undocumented(
    "zapier",
    "Zapier",
    "header_token",
    notes=(
        "Webhooks by Zapier posts exactly the fields the Zap author chose (JSON or form): there"
        " is no fixed format to document. Generic event guess, mapping from discovery; add a "
        "header in the Zap and verify it with header_token."
    ),
)

PLATFORM = Platform(preset=PRESET)
