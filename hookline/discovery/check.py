"""How a mapping fares on recent payloads: for each lead field, on how many it resolves.

Pure: runs :func:`streams.mapping.apply_mapping` (what the workers run) over
``(parsed body, headers)`` pairs and counts. Used by the suggested-mapping view to show
a preset's or a saved mapping's record next to the suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.mapping import Mapping as LeadMapping
from streams.mapping import apply_mapping

#: The lead fields counted; ``phone`` counts only phones that normalise to E.164.
CHECKED = ("event", "name", "phone", "email")

Payload = tuple[Any, Mapping[str, str]]


@dataclass
class MappingCheck:
    payloads: int = 0
    #: Payloads that map with no error (what would not dead-letter).
    ok: int = 0
    #: field -> payloads where it resolved to a value.
    resolved: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKED, 0))
    #: Up to three distinct errors, most frequent first.
    errors: list[str] = field(default_factory=list)


def check_mapping(mapping: LeadMapping, payloads: Iterable[Payload]) -> MappingCheck:
    check = MappingCheck()
    seen: dict[str, int] = {}
    for data, headers in payloads:
        lead = apply_mapping(mapping, data, headers)
        check.payloads += 1
        check.ok += lead.ok
        found = {
            "event": lead.event,
            "name": lead.name,
            "phone": lead.phone,
            "email": lead.fields.get("email"),
        }
        for name, value in found.items():
            check.resolved[name] += value not in (None, "")
        for error in lead.errors:
            seen[error] = seen.get(error, 0) + 1
    check.errors = sorted(seen, key=lambda error: -seen[error])[:3]
    return check


__all__ = ["CHECKED", "MappingCheck", "Payload", "check_mapping"]
