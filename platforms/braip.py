"""Braip: payload format not publicly documented in the material available.

See ``notes``: nothing about the payload is asserted; discovery proposes the mapping.
"""

from platforms.generic import undocumented
from platforms.unit import Platform

PRESET = undocumented(
    "braip",
    "Braip",
    "none",
    notes=(
        "Braip postbacks are configured in the Braip panel; no public description of their "
        "payload (field names, encoding, event identifiers) was found in the material available"
        " here, so nothing is asserted: the event source is the generic guess and the mapping "
        "comes from discovery on real deliveries."
    ),
)

PLATFORM = Platform(preset=PRESET)
