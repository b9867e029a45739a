"""``hookline preview``: run one saved request body through a mapping, offline.

Uses the workers' pure functions (:func:`streams.mapping.map_request` is the
``parse_body`` + ``map_parsed`` pair the worker calls), so what preview prints
is what the pipeline would do. No Kafka, no config topic.

The mapping comes from one of three places: a file (``--mapping``), a platform
preset (``--platform``, :mod:`platforms`) or a suggestion made from the body
itself (``--suggest``, :mod:`hookline.discovery`), which also prints the proposed
mapping with confidences and the platforms the body looks like.

Exit codes: 0 the lead maps cleanly, 1 it maps with errors (what would go to
the dead-letter topic; with ``--suggest`` also "no complete mapping found"),
2 bad usage (unreadable file, invalid mapping, preset without a mapping,
more than one mapping source).
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any, BinaryIO

import click
from pydantic import ValidationError

from core.body import ParsedBody, parse_body
from hookline.discovery import detect_platform, infer_structure, suggest_mapping
from platforms import PLATFORM_IDS, get_preset
from schemas.mapping import Mapping
from streams.mapping import MappedLead, map_parsed, map_request

EXIT_OK, EXIT_MAPPING_ERRORS = 0, 1


@click.command("preview")
@click.argument("body_file", metavar="FILE", type=click.File("rb"))
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="MAPPING.json",
    help='Mapping file: {"event": EXPR, "name": EXPR, "phone": EXPR, "fields": {...}, '
    '"default_region": "BR"}. EXPR is a jmespath expression over the body, '
    '{"header": "X-Name"} or {"query": "name"}.',
)
@click.option(
    "--platform",
    "platform_id",
    type=click.Choice(PLATFORM_IDS),
    metavar="NAME",
    help="Use that platform preset's default mapping instead of a file: "
    + ", ".join(PLATFORM_IDS)
    + ". Presets without a documented lead mapping exit 2 (use --suggest).",
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Propose a mapping from this body (and --header): prints the suggestion with "
    "confidences, the detected platforms, the mapping and the lead it gives.",
)
@click.option(
    "--content-type",
    metavar="TYPE",
    help="Content-Type of the body. Default: the --header Content-Type if given, "
    "else sniffed (JSON when the bytes parse as JSON, else form).",
)
@click.option(
    "--header",
    "header_items",
    multiple=True,
    metavar="'K: V'",
    help="A request header, repeatable (header sources are case-insensitive).",
)
@click.option(
    "--query",
    "query_items",
    multiple=True,
    metavar="'k=v'",
    help="Query-string parameters ('k=v' or 'a=1&b=2', URL-encoded), repeatable.",
)
@click.option(
    "--region",
    metavar="CC",
    help="Default phone region for national numbers (overrides the mapping's default_region).",
)
def preview(
    body_file: BinaryIO,
    mapping_path: Path | None,
    platform_id: str | None,
    suggest: bool,
    content_type: str | None,
    header_items: tuple[str, ...],
    query_items: tuple[str, ...],
    region: str | None,
) -> None:
    """Show the lead a webhook body maps to, as JSON on stdout.

    FILE is the raw request body exactly as the platform sent it ('-' reads stdin).
    Prints {"event", "name", "phone", "phone_raw", "fields", "errors", "body_format"};
    phone is E.164 ("+5511999999999") or null.

    Give exactly one of --mapping, --platform and --suggest. With --suggest the
    output is {"detected_platforms", "suggestion", "missing", "mapping", "lead"}
    (lead as above, null when no complete mapping was found).

    Exit status: 0 mapped, 1 mapped with errors, 2 bad usage.

    \b
    Example:
      $ cat hotmart.mapping.json
      {"event": "event", "name": "data.buyer.name",
       "phone": "data.buyer.checkout_phone",
       "fields": {"email": "data.buyer.email"}}
      $ hookline preview purchase.json --mapping hotmart.mapping.json
      $ hookline preview purchase.json --platform hotmart
      $ hookline preview order.json --platform shopify \\
          --header 'X-Shopify-Topic: orders/paid' --region US
      $ hookline preview unknown.json --suggest
    """
    one_source(mapping_path, platform_id, suggest)
    if suggest:
        headers = parse_headers(header_items)
        query = parse_query(query_items)
        raw = read_body(body_file)
        document, ok = suggest_preview(raw, content_type, headers, query, region)
        emit(document)
        click.get_current_context().exit(EXIT_OK if ok else EXIT_MAPPING_ERRORS)
    mapping = resolve_mapping(mapping_path, region, platform_id)
    headers = parse_headers(header_items)
    query = parse_query(query_items)
    raw = read_body(body_file)
    parsed, lead = map_request(mapping, raw, content_type, headers, query)
    if platform_id is not None:
        note_other_platform(platform_id, parsed.data, headers)
    emit(render(parsed, lead))
    if parsed.error:
        click.echo(f"note: body read as {parsed.format}: {parsed.error}", err=True)
    click.get_current_context().exit(EXIT_OK if lead.ok else EXIT_MAPPING_ERRORS)


def one_source(mapping_path: Path | None, platform_id: str | None, suggest: bool) -> None:
    given = [
        option
        for option, present in (
            ("--mapping", mapping_path is not None),
            ("--platform", platform_id is not None),
            ("--suggest", suggest),
        )
        if present
    ]
    if not given:
        raise click.UsageError(
            "give the mapping to preview with: --mapping MAPPING.json, --platform NAME or --suggest"
        )
    if len(given) > 1:
        raise click.UsageError(f"{' and '.join(given)} are mutually exclusive: give only one")


def resolve_mapping(
    mapping_path: Path | None, region: str | None, platform_id: str | None = None
) -> Mapping:
    """The mapping to preview with: a file or a platform preset (--suggest is separate)."""
    if platform_id is not None:
        return preset_mapping(platform_id, region)
    if mapping_path is None:
        raise click.UsageError("give the mapping to preview with: --mapping MAPPING.json")
    return load_mapping(mapping_path, region)


def preset_mapping(platform_id: str, region: str | None = None) -> Mapping:
    """A preset's default mapping; a preset without one is a usage error (exit 2)."""
    preset = get_preset(platform_id)
    if preset.mapping is None:
        raise click.UsageError(
            f"the {preset.display_name} preset has no default mapping ({preset.notes}); "
            "use --suggest to propose one from this body, or --mapping MAPPING.json"
        )
    if region is None:
        return preset.mapping
    try:
        return Mapping.model_validate({**preset.mapping.model_dump(), "default_region": region})
    except ValidationError as exc:
        raise click.BadParameter(describe(exc), param_hint="'--region'") from None


def note_other_platform(platform_id: str, data: Any, headers: dict[str, str]) -> None:
    """A stderr note when the body clearly looks like another platform than --platform."""
    found = detect_platform(data, headers)
    if found and found[0][0] != platform_id and found[0][1] >= 0.8:
        other, _, reason = found[0]
        click.echo(f"note: this body looks like {other} ({reason}), not {platform_id}", err=True)


def suggest_preview(
    raw: bytes,
    content_type: str | None,
    headers: dict[str, str],
    query: dict[str, list[str]],
    region: str | None,
) -> tuple[dict[str, Any], bool]:
    """The suggestion for one body, the mapping it makes and the lead that mapping gives."""
    parsed = parse_body(raw, content_type or headers.get("content-type"))
    bodies = [parsed.data] if parsed.data is not None else []
    suggestion = suggest_mapping(infer_structure(bodies, [headers] if headers else []), headers)
    mapping = lead = None
    if not suggestion.missing:
        try:
            mapping = suggestion.to_mapping(default_region=region or "BR")
        except ValidationError as exc:
            raise click.BadParameter(describe(exc), param_hint="'--region'") from None
        lead = map_parsed(mapping, parsed, headers, query)
    found = {"event": suggestion.event, "name": suggestion.name, "phone": suggestion.phone}
    found |= suggestion.fields
    document = {
        "detected_platforms": [
            {"id": pid, "confidence": confidence, "reason": reason}
            for pid, confidence, reason in detect_platform(parsed.data, headers)
        ],
        "suggestion": {
            name: value.model_dump(mode="json") for name, value in found.items() if value
        },
        "missing": suggestion.missing,
        "mapping": mapping.model_dump(mode="json") if mapping else None,
        "lead": render(parsed, lead) if lead else None,
    }
    if parsed.error:
        click.echo(f"note: body read as {parsed.format}: {parsed.error}", err=True)
    return document, lead is not None and lead.ok


def load_mapping(path: Path, region: str | None = None) -> Mapping:
    """Read and validate a mapping file; every problem is a usage error (exit 2)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise _bad_mapping(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_mapping(f"{path} is not valid JSON: {exc}") from None
    if region is not None and isinstance(data, dict):
        data = {**data, "default_region": region}
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise _bad_mapping(describe(exc)) from None


def _bad_mapping(message: str) -> click.BadParameter:
    return click.BadParameter(message, param_hint="'--mapping'")


# pydantic tags each failed member of the Source union; one hint reads better than three.
_SOURCE_MEMBERS = {
    "str",
    "HeaderSource",
    "QuerySource",
    "tuple[union[str,HeaderSource,QuerySource], ...]",
}
_SOURCE_HINT = (
    'expected a jmespath expression, {"header": "Name"}, {"query": "name"} '
    "or a list of those (a fallback chain)"
)


def describe(exc: ValidationError) -> str:
    """One line per problem, no pydantic URLs: "event: invalid jmespath expression ..."."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        message = str(error["msg"]).removeprefix("Value error, ")
        tagged = [i for i, part in enumerate(loc) if part in _SOURCE_MEMBERS]
        if tagged:
            loc, message = loc[: tagged[0]], _SOURCE_HINT
        where = ".".join(loc) or "mapping"
        lines.append(f"{where}: {message}")
    return "invalid mapping:\n  " + "\n  ".join(dict.fromkeys(lines))


def parse_headers(items: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            message = f"expected 'Name: value', got {item!r}"
            raise click.BadParameter(message, param_hint="'--header'")
        headers[name.strip().lower()] = value.strip()
    return headers


def parse_query(items: tuple[str, ...]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for item in items:
        for key, value in urllib.parse.parse_qsl(item, keep_blank_values=True):
            query.setdefault(key, []).append(value)
    return query


def read_body(body_file: BinaryIO) -> bytes:
    try:
        return body_file.read()
    except OSError as exc:
        raise click.BadParameter(f"cannot read the body: {exc}", param_hint="'FILE'") from None


def render(parsed: ParsedBody, lead: MappedLead) -> dict[str, Any]:
    return {
        "event": lead.event,
        "name": lead.name,
        "phone": lead.phone,
        "phone_raw": lead.phone_raw,
        "fields": lead.fields,
        "errors": lead.errors,
        "field_errors": lead.field_errors,
        "body_format": parsed.format,
    }


def emit(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    # Lone surrogates (from JSON "\\ud800" escapes) become JSON escapes again, not a crash.
    click.echo(text.encode("utf-8", "backslashreplace"))
