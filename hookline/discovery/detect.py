"""Which platform sent this webhook? Recognisable headers and body shapes only.

:func:`detect_platform` returns ``(platform_id, confidence, reason)`` tuples, best first; an
empty list means "nothing recognisable" (use the generic preset). The rules are the
platform units' own (``detect`` in platforms/<id>.py): each looks at documented traits (a
signature header, an envelope field, an event-name prefix) and reports the best one it
found. Shapes reported only by secondary sources score lower and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms import all_platforms

Detection = tuple[str, float, str]


def detect_platform(body: Any, headers: Mapping[str, str] | None = None) -> list[Detection]:
    """Candidate platforms for one request, most likely first."""
    lowered = {str(name).lower(): value for name, value in (headers or {}).items()}
    data = dict(body) if isinstance(body, Mapping) else {}
    ranked: list[Detection] = []
    for platform in all_platforms():
        found = platform.detect(data, lowered) if platform.detect is not None else None
        if found and found[0] > 0:
            ranked.append((platform.id, *found))
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked


__all__ = ["Detection", "detect_platform"]
