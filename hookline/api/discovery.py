"""An integration's data structure ("Visualizar") and suggested mapping, computed on read
from the recent webhooks the history keeps in ClickHouse (parsed body and headers).

On read, not incrementally: the history already holds every parsed body, a structure of
1000 payloads takes milliseconds to infer, and nothing has to be kept in step with
mapping changes, deletes or replays. The pure discovery functions do the work. Saving a
mapping reads the same recent payloads to warn of required fields it finds on none
(:func:`unresolved_warnings`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from clickhouse_connect.driver.exceptions import OperationalError as ClickHouseOperationalError

from core.redact import mask_data
from hookline.api.call import Call
from hookline.discovery import (
    FieldSuggestion,
    MappingCheck,
    Structure,
    check_mapping,
    detect_platform,
    infer_structure,
    parent_path,
    suggest_mapping,
    unresolved_warning,
)
from hookline.discovery.check import Payload
from platforms import UnknownPlatformError, get_preset
from schemas.api import (
    CheckOf,
    DetectedPlatform,
    DiscoveryQuery,
    HeaderOut,
    MappingCheckOut,
    PathOut,
    StructureOut,
    SuggestedField,
    SuggestedMappingOut,
    SuggestedSource,
)
from schemas.config import Integration
from schemas.mapping import Mapping

log = logging.getLogger(__name__)


def payloads(rows: Iterable[dict[str, Any]]) -> tuple[list[Payload], int]:
    """(parsed body, headers) of each history row, newest first, and how many were skipped
    (bodies that are not a JSON/form object or array, or were cut by the history cap).

    Credential fields are masked again on read (core/redact.py): rows written before a
    platform declared its body token (Monetizze's ``chave_unica``) never show it as an
    example in the structure or the suggestions."""
    out: list[Payload] = []
    skipped = 0
    for row in rows:
        try:
            data = json.loads(row.get("parsed_json") or "null")
            headers = json.loads(row.get("headers_json") or "{}")
        except ValueError:
            data, headers = None, {}
        if not isinstance(data, dict | list):
            skipped += 1
            continue
        out.append((mask_data(data), {str(k): str(v) for k, v in headers.items()}))
    return out, skipped


def tree_order(paths: Iterable[str]) -> list[str]:
    """Paths in document order, each container before what it holds."""
    children: dict[str, list[str]] = {}
    listed = list(paths)
    for path in listed:
        children.setdefault(parent_path(path), []).append(path)
    ordered: list[str] = []
    stack = list(reversed(children.get("", [])))
    while stack:
        path = stack.pop()
        ordered.append(path)
        stack.extend(reversed(children.get(path, [])))
    placed = set(ordered)
    return ordered + [path for path in listed if path not in placed]


def structure_out(structure: Structure, skipped: int) -> StructureOut:
    return StructureOut(
        sampled=structure.samples,
        skipped=skipped,
        truncated=structure.truncated,
        paths=[
            PathOut(
                path=path,
                parent=parent_path(path),
                types=stats.types,
                example=stats.example,
                count=stats.count,
                frequency=round(stats.frequency, 4),
            )
            for path in tree_order(structure.paths)
            for stats in (structure.paths[path],)
        ],
        headers=[
            HeaderOut(
                name=name,
                example=stats.example,
                count=stats.count,
                frequency=round(stats.frequency, 4),
            )
            for name, stats in sorted(structure.headers.items())
        ],
    )


def _field(found: FieldSuggestion, alternatives: list[FieldSuggestion]) -> SuggestedField:
    return SuggestedField.from_record(
        found, alternatives=[SuggestedSource.from_record(a) for a in alternatives]
    )


def _check(of: CheckOf, check: MappingCheck) -> MappingCheckOut:
    return MappingCheckOut(
        of=of,
        payloads=check.payloads,
        ok=check.ok,
        resolved=check.resolved,
        errors=check.errors,
    )


async def _recent(call: Call, integration: Integration) -> tuple[list[Payload], Structure, int]:
    """The recent payloads, their structure and how many bodies were skipped."""
    query: DiscoveryQuery = call.query
    rows = await call.history.recent_bodies(call.account.id, integration.id, query.limit)
    sample, skipped = payloads(rows)
    structure = infer_structure([data for data, _ in sample], [h for _, h in sample])
    return sample, structure, skipped


async def unresolved_warnings(call: Call, integration: Integration, mapping: Mapping) -> list[str]:
    """What saving ``mapping`` warns of: the required fields it finds on none of the
    integration's recent webhooks (as many as the structure view reads by default). Nothing
    before the first webhook, nor in a process without history; history unavailable is
    said, and the mapping is saved all the same."""
    if call.runtime.clickhouse is None:
        return []
    try:
        rows = await call.history.recent_bodies(
            call.account.id, integration.id, DiscoveryQuery().limit
        )
    except (ClickHouseOperationalError, TimeoutError) as exc:
        log.warning("recent webhooks unreadable", extra={"error": repr(exc)})
        return ["the latest webhooks could not be read: this mapping was not tried on them"]
    warning = unresolved_warning(mapping, payloads(rows)[0])
    return [warning] if warning else []


async def get_structure(call: Call) -> StructureOut:
    integration = call.owned(Integration, call.path("id"))
    _, structure, skipped = await _recent(call, integration)
    return structure_out(structure, skipped)


async def suggested_mapping(call: Call) -> SuggestedMappingOut:
    integration = call.owned(Integration, call.path("id"))
    sample, structure, skipped = await _recent(call, integration)
    latest_body, latest_headers = sample[0] if sample else (None, {})
    suggestion = suggest_mapping(structure, latest_headers)

    saved = call.state.mapping(integration.id)
    try:
        preset = get_preset(integration.platform)
        preset_mapping, region = preset.mapping, preset.default_region
    except UnknownPlatformError:  # a platform id that is not (or no longer) a preset
        preset_mapping, region = None, "BR"
    region = saved.default_region if saved is not None else region
    mapping = None if suggestion.missing else suggestion.to_mapping(default_region=region)

    found = {"event": suggestion.event, "name": suggestion.name, "phone": suggestion.phone}
    found |= suggestion.fields
    fields = {
        name: _field(value, suggestion.alternatives.get(name, []))
        for name, value in found.items()
        if value is not None
    }
    # The preset's mapping is saved at creation: "saved" only once the user changed it.
    candidates: list[tuple[CheckOf, Mapping | None]] = [
        ("saved", saved if saved != preset_mapping else None),
        ("preset", preset_mapping),
        ("suggested", mapping),
    ]
    return SuggestedMappingOut(
        sampled=structure.samples,
        skipped=skipped,
        fields=fields,
        missing=suggestion.missing,
        mapping=mapping,
        detected_platforms=[
            DetectedPlatform(id=pid, confidence=confidence, reason=reason)
            for pid, confidence, reason in (
                detect_platform(latest_body, latest_headers) if sample else []
            )
        ],
        checks=[
            _check(of, check_mapping(m, sample)) for of, m in candidates if m is not None and sample
        ],
    )
