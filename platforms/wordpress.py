"""WordPress: payload format not publicly documented in the material available.

See ``notes``: nothing about the payload is asserted; discovery proposes the mapping.
"""

from platforms.generic import undocumented
from platforms.unit import Platform

PRESET = undocumented(
    "wordpress",
    "WordPress",
    "header_token",
    notes=(
        "WordPress core sends no webhooks: the payload is whatever the form or webhook plugin "
        "(Contact Form 7, Elementor, WP Webhooks, ...) posts, so no format can be documented. "
        "Generic event guess, mapping from discovery; protect the URL with header_token."
    ),
)

PLATFORM = Platform(preset=PRESET)
