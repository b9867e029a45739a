"""Bing (Microsoft Advertising): payload format not publicly documented in the material available.

See ``notes``: nothing about the payload is asserted; discovery proposes the mapping.
"""

from platforms.generic import undocumented
from platforms.unit import Platform

PRESET = undocumented(
    "bing",
    "Bing (Microsoft Advertising)",
    "none",
    notes=(
        "No public documentation of a Bing / Microsoft Advertising lead webhook payload was "
        "found in the material available here: generic event guess, mapping from discovery."
    ),
)

PLATFORM = Platform(preset=PRESET)
