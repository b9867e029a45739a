"""How a mapping fares on recent payloads: for each lead field, on how many it resolves.

Pure: runs :func:`streams.mapping.apply_mapping` (what the workers run) over
``(parsed body, headers)`` pairs and counts. Used by the suggested-mapping view to show
a preset's or a saved mapping's record next to the suggestion, and by saving a mapping to
warn of the required fields it finds on none of them (:func:`unresolved_warning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.mapping import Mapping as LeadMapping
from schemas.mapping import QuerySource, chain_of
from streams.mapping import REQUIRED, apply_mapping

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


def unresolved_warning(mapping: LeadMapping, payloads: Iterable[Payload]) -> str | None:
    """The warning naming the required fields ``mapping`` resolves on none of
    ``payloads`` (a phone counts when it is a valid one), with the most frequent errors;
    None when each is found at least once, or without payloads. A field that may come from
    a query parameter is not judged: history keeps no query string."""
    check = check_mapping(mapping, payloads)
    sources = mapping.sources()
    missing = [
        name
        for name in REQUIRED
        if not check.resolved[name]
        and not any(isinstance(member, QuerySource) for member in chain_of(sources[name]))
    ]
    if not check.payloads or not missing:
        return None
    many = check.payloads > 1
    seen = f"any of the {check.payloads} latest webhooks" if many else "the latest webhook"
    why = f" ({'; '.join(check.errors)})" if check.errors else ""
    like = "them" if many else "it"
    return f"not found on {seen}: {', '.join(missing)}{why}; webhooks like {like} would fail"


__all__ = ["CHECKED", "MappingCheck", "Payload", "check_mapping", "unresolved_warning"]
