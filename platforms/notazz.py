"""Notazz: payload format not publicly documented in the material available.

See ``notes``: nothing about the payload is asserted; discovery proposes the mapping.
"""

from platforms.generic import undocumented
from platforms.unit import Platform

PRESET = undocumented(
    "notazz",
    "Notazz",
    "none",
    notes=(
        "No public documentation of Notazz webhook payloads was found in the material available"
        " here: generic event guess, mapping from discovery."
    ),
)

PLATFORM = Platform(preset=PRESET)
