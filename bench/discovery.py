"""How well the presets (``platforms/``) and :func:`suggest_mapping` (``hookline/discovery/``)
read real payloads:

    python bench/discovery.py

Two measures, per platform:

- **presets**, on the payloads they claim: every shared sample and platform fixture whose
  platform has a preset is mapped with the preset's mapping (what a new integration of that
  platform runs), and event, name, phone and e-mail are compared with the recorded values
  (an ids-only preset is scored on its event alone). Target: 100%.
- **suggestions, on the rest**: payloads of platforms without a preset mapping (the ids-only
  platforms and the form builders of tests/fixtures/platforms/forms/: Elementor, Contact
  Form 7, WPForms, Gravity Forms, Google Forms, RD Station), where the console proposes a
  mapping from the payload alone. Target: at least 95%.

The suggestions are also shown on every payload (a harder test for the heuristics, since
preset platforms compose events the payload does not spell, such as Eduzz's
``invoice.3``).

For every sample in the samples directory (``HOOKLINE_SAMPLES_DIR``, default the repo's
sibling ``shared/samples``), the body is parsed as the gateway would, a Structure is built
from that single payload and its request headers, and each suggested source for event,
name, phone and email is evaluated and compared with the value at the sample's recorded
path. A cell is ``ok``, ``wrong`` (a different value or nothing), or ``-`` when the sample
records no value for that field (nothing to find, not scored). ``detect`` says whether
:func:`detect_platform` ranks the payload's own platform first.

The per-platform table sums the same cells by platform: ``2/2`` = right / scored.
Last, the optional fields (document, product, value, status, transaction_id) are compared
with what the platform's preset mapping finds in the same payload: agreement, not truth.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.samples import samples_dir
from core.body import parse_body
from core.sources import SourceError, lower_keys, read_source
from hookline.discovery.detect import detect_platform
from hookline.discovery.structure import infer_structure
from hookline.discovery.suggest import OPTIONAL, FieldSuggestion, Suggestion, suggest_mapping
from platforms import UnknownPlatformError, get_preset
from streams.mapping import apply_mapping

FIELDS = ("event", "name", "phone", "email")

#: Headers the platform sends with such a delivery, for samples whose event travels in a
#: header (the sample records the header name in ``event_header``; the value is an example).
REQUEST_HEADERS: dict[str, dict[str, str]] = {
    "shopify": {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
    },
}


@dataclass
class Sample:
    file: str
    platform: str
    data: Any
    headers: dict[str, str]
    #: field -> expected value (None when the sample records nothing there).
    expected: dict[str, Any] = field(default_factory=dict)


def _value(source: Any, data: Any, headers: dict[str, str]) -> Any:
    if source is None:
        return None
    try:
        return read_source(source, data, lower_keys(headers))
    except SourceError:
        return None


def _parsed(record: dict[str, Any]) -> Any:
    """A recorded body (raw text or JSON) parsed as the gateway would."""
    body = record["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return parse_body(raw, record.get("content_type")).data


def load_samples(directory: Path | None = None) -> list[Sample]:
    directory = directory or samples_dir()
    out = []
    for path in sorted(directory.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        data = _parsed(record)
        platform = path.name.split("__", 1)[0]
        headers = dict(REQUEST_HEADERS.get(platform, {})) if record.get("event_header") else {}
        paths = record.get("paths", {})
        expected = {name: _value(paths.get(name), data, headers) for name in FIELDS}
        if expected["event"] is None and record.get("event_header"):
            header_name = record["event_header"].split(" ", 1)[0]
            expected["event"] = headers.get(header_name)
        out.append(Sample(path.name, platform, data, headers, expected))
    return out


def fixtures_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "platforms"


def load_fixtures(directory: Path | None = None) -> list[Sample]:
    """Payloads written from platform docs, with hand-written expected values."""
    out = []
    for path in sorted((directory or fixtures_dir()).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        data = _parsed(record)
        expected = dict(record["expected"])
        expected["phone"] = expected.pop("phone_raw")
        platform = path.name.split("__", 1)[0]
        out.append(Sample(path.name, platform, data, record.get("headers", {}), expected))
    return out


def forms_dir() -> Path:
    return fixtures_dir() / "forms"


def load_forms(directory: Path | None = None) -> list[Sample]:
    """Form-builder payloads (no preset: the suggestion is all there is)."""
    return load_fixtures(directory or forms_dir())


def preset_mapped(sample: Sample) -> bool:
    """Whether the sample's platform has a preset with a lead mapping."""
    try:
        return get_preset(sample.platform).mapping is not None
    except UnknownPlatformError:
        return False


def has_preset(sample: Sample) -> bool:
    try:
        get_preset(sample.platform)
    except UnknownPlatformError:
        return False
    return True


def score_preset(sample: Sample) -> dict[str, str]:
    """field -> 'ok' / 'wrong' / '-' for one sample mapped with its platform's preset."""
    preset = get_preset(sample.platform)
    if preset.mapping is None:  # ids-only or undocumented: only the event is the preset's
        found: dict[str, Any] = {"event": _value(preset.event, sample.data, sample.headers)}
    else:
        lead = apply_mapping(preset.mapping, sample.data, sample.headers)
        found = {
            "event": lead.event,
            "name": lead.name,
            "phone": lead.phone_raw,
            "email": lead.fields.get("email"),
        }
    return _cells(sample, found)


def _cells(sample: Sample, found: dict[str, Any]) -> dict[str, str]:
    """field -> 'ok' when ``found`` holds the recorded value, '-' when none is recorded."""
    return {
        name: "-"
        if sample.expected[name] is None
        else ("ok" if _same(found.get(name), sample.expected[name]) else "wrong")
        for name in FIELDS
    }


def _same(found: Any, expected: Any) -> bool:
    if found is None:
        return False
    return str(found).strip() == str(expected).strip()


def _suggest(sample: Sample) -> Suggestion:
    """The suggestion from that one payload (and its headers) alone."""
    structure = infer_structure([sample.data], [sample.headers] if sample.headers else [])
    return suggest_mapping(structure, sample.headers)


def score_sample(sample: Sample) -> dict[str, str]:
    """field -> 'ok' / 'wrong' / '-' for one sample, suggesting from that payload alone."""
    suggestion = _suggest(sample)
    found: dict[str, FieldSuggestion | None] = {
        "event": suggestion.event,
        "name": suggestion.name,
        "phone": suggestion.phone,
        "email": suggestion.fields.get("email"),
    }
    values = {
        name: _value(proposal.source if proposal else None, sample.data, sample.headers)
        for name, proposal in found.items()
    }
    return _cells(sample, values)


def table(samples: list[Sample]) -> tuple[list[tuple[str, dict[str, str]]], int, int]:
    rows = [(sample.file, score_sample(sample)) for sample in samples]
    right = sum(cell == "ok" for _, cells in rows for cell in cells.values())
    scored = sum(cell != "-" for _, cells in rows for cell in cells.values())
    return rows, right, scored


def render(rows: list[tuple[str, dict[str, str]]], right: int, scored: int) -> str:
    width = max([len("sample"), *(len(name) for name, _ in rows)])
    lines = [f"{'sample':<{width}}  " + "  ".join(f"{f:<6}" for f in FIELDS) + "  right"]
    for name, cells in rows:
        ok = sum(c == "ok" for c in cells.values())
        total = sum(c != "-" for c in cells.values())
        lines.append(
            f"{name:<{width}}  " + "  ".join(f"{cells[f]:<6}" for f in FIELDS) + f"  {ok}/{total}"
        )
    lines.append(f"{'total':<{width}}  " + " " * (8 * len(FIELDS)) + f"{right}/{scored}")
    return "\n".join(lines)


def detected(sample: Sample) -> str:
    """'ok' when :func:`detect_platform` ranks the sample's platform first."""
    found = detect_platform(sample.data, sample.headers)
    return "ok" if found and found[0][0] == sample.platform else "wrong"


def by_platform(
    samples: list[Sample], score: Any = None, detect: bool = True
) -> list[tuple[str, dict[str, str]]]:
    """platform -> column -> 'right/scored' over that platform's payloads (and 'payloads').

    ``score`` is :func:`score_sample` (suggestions, the default) or :func:`score_preset`."""
    score = score or score_sample
    counts: dict[str, dict[str, list[int]]] = {}
    payloads: dict[str, int] = {}
    for sample in samples:
        cells = {**score(sample), "detect": detected(sample) if detect else "-"}
        columns = counts.setdefault(sample.platform, {c: [0, 0] for c in (*FIELDS, "detect")})
        payloads[sample.platform] = payloads.get(sample.platform, 0) + 1
        for column, cell in cells.items():
            if cell != "-":
                columns[column][0] += cell == "ok"
                columns[column][1] += 1
    return [
        (
            platform,
            {"payloads": str(payloads[platform])}
            | {c: (f"{r}/{n}" if n else "-") for c, (r, n) in columns.items()},
        )
        for platform, columns in sorted(counts.items())
    ]


def render_platforms(rows: list[tuple[str, dict[str, str]]]) -> str:
    columns = (*FIELDS, "detect")
    width = max([len("platform"), *(len(name) for name, _ in rows)])
    lines = [f"{'platform':<{width}}  payloads  " + "  ".join(f"{c:<6}" for c in columns)]
    for name, cells in rows:
        values = "  ".join(f"{cells[c]:<6}" for c in columns)
        lines.append(f"{name:<{width}}  {cells['payloads']:<8}  {values}")
    return "\n".join(line.rstrip() for line in lines)


def preset_agreement(samples: list[Sample]) -> tuple[int, int, list[str]]:
    """Optional fields where the suggestion finds what the preset's mapping finds:
    (agreeing, compared, one line per disagreement)."""
    agree = compared = 0
    misses = []
    for sample in samples:
        preset = get_preset(sample.platform)
        if preset.mapping is None:
            continue
        lead = apply_mapping(preset.mapping, sample.data, sample.headers)
        suggestion = _suggest(sample)
        for name in (n for n in OPTIONAL if n != "email"):  # email is scored above
            expected = lead.fields.get(name)
            if expected in (None, ""):
                continue
            found = suggestion.fields.get(name)
            value = _value(found.source if found else None, sample.data, sample.headers)
            compared += 1
            if _same(value, expected):
                agree += 1
            else:
                source = found.source if found else None
                misses.append(f"{sample.file} {name}: preset {expected!r}, suggested {source}")
    return agree, compared, misses


def totals(rows: list[tuple[str, dict[str, str]]]) -> tuple[int, int]:
    """(right, scored) over the event/name/phone/email cells of a per-platform table."""
    right = scored = 0
    for _, cells in rows:
        for column in FIELDS:
            if cells[column] != "-":
                r, n = cells[column].split("/")
                right, scored = right + int(r), scored + int(n)
    return right, scored


def _percent(right: int, scored: int) -> str:
    return f"{right}/{scored} = {100 * right / scored:.1f}%" if scored else "nothing scored"


def main() -> None:
    samples, fixtures, forms = load_samples(), load_fixtures(), load_forms()
    every = samples + fixtures
    claimed = [s for s in every if has_preset(s)]
    rest = [s for s in every if not preset_mapped(s)] + forms
    presets = by_platform(claimed, score_preset, detect=False)
    suggested = by_platform(rest)
    print("presets, on the payloads they claim (samples and platform fixtures; right/scored):")
    print(render_platforms(presets))
    print(f"total: {_percent(*totals(presets))}")
    print("\nsuggestions, on the rest (no preset mapping: ids-only platforms, form builders):")
    print(render_platforms(suggested))
    print(f"total: {_percent(*totals(suggested))}")
    print("\nsuggestions on every payload, per platform (informational):")
    everything = by_platform(every + forms)
    print(render_platforms(everything))
    print(f"total: {_percent(*totals(everything))}")
    print(f"\nper payload, shared samples ({samples_dir()}):")
    print(render(*table(samples)))
    print(f"\nper payload, platform fixtures ({fixtures_dir()}):")
    print(render(*table(fixtures)))
    print(f"\nper payload, form builders ({forms_dir()}):")
    print(render(*table(forms)))
    agree, compared, misses = preset_agreement(samples + fixtures)
    print(f"\noptional fields agreeing with the preset's mapping: {agree}/{compared}")
    for miss in misses:
        print(f"  {miss}"[:160])


if __name__ == "__main__":
    main()
