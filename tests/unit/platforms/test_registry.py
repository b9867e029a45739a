"""Platform units (platforms/): the registry, and every preset against real payloads.

Payloads come from /work/shared/samples (public deliveries with the recorded path of each
lead field) and, for platforms without a sample, from tests/fixtures/platforms (payloads
written from each platform's public docs, expected values written by hand from the doc).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jmespath
import pytest

import platforms
from bench.discovery import load_samples
from bench.samples import samples_dir
from core.body import parse_body
from core.sources import lower_keys, read_source
from ingest.verify import check_platform_schemes, scheme_names
from platforms import (
    PLATFORM_IDS,
    Platform,
    Preset,
    UnknownPlatformError,
    all_platforms,
    all_presets,
    get_platform,
    get_preset,
    register,
)
from platforms.__main__ import platforms_table
from platforms.unit import GENERIC, UNSIGNED
from schemas.mapping import HeaderSource, Mapping
from streams.mapping import apply_mapping
from tests.samples import require_samples_dir

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "platforms"
PACKAGE = Path(platforms.__file__).parent

#: (preset, field) pairs where a sample records no value but the preset deliberately fills
#: one in: Twilio SMS has no name, so the sender's number stands in (see the preset notes).
FALLBACKS = {("twilio", "name")}


def _samples() -> list[Any]:
    return load_samples(require_samples_dir())


def _fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def _resolve(source: Any, data: Any, headers: dict[str, str]) -> Any:
    value = read_source(source, data, lower_keys(headers))
    # Numbers as a mapping reads them (the event code 2 is "2").
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --------------------------------------------------------------------------- registry


def test_every_unit_module_is_registered_under_its_own_name() -> None:
    """Discovery, not a list: each module of platforms/ that defines PLATFORM is a platform
    whose id is the module name, and each registered platform comes from such a module."""
    units = {
        path.stem
        for path in PACKAGE.glob("*.py")
        if "\nPLATFORM = " in path.read_text(encoding="utf-8")
    }
    assert units and set(PLATFORM_IDS) == units == {p.id for p in all_platforms()}
    assert PLATFORM_IDS[-1] == GENERIC
    assert list(PLATFORM_IDS[:-1]) == sorted(PLATFORM_IDS[:-1])
    assert [preset.id for preset in all_presets()] == list(PLATFORM_IDS)


def test_get_platform_unknown_lists_the_valid_ids() -> None:
    expected = "unknown platform 'nope', expected one of: " + ", ".join(sorted(PLATFORM_IDS))
    with pytest.raises(UnknownPlatformError) as info:
        get_platform("nope")
    assert str(info.value) == expected
    with pytest.raises(LookupError, match="hotmart"):
        get_preset("Hotmart")


def test_register_refuses_a_duplicate_id() -> None:
    with pytest.raises(ValueError, match="duplicate platform id 'stripe'"):
        register(get_platform("stripe"))


def test_every_platform_is_checked_by_a_registered_scheme() -> None:
    for platform in all_platforms():
        assert platform.scheme in scheme_names(), platform.id
        signed = platform.preset.signature_scheme
        assert platform.scheme == (platform.unsigned_scheme if signed == UNSIGNED else signed)
    assert get_platform(GENERIC).scheme == "hmac"


def test_a_unit_binding_an_unknown_scheme_fails_at_start_up() -> None:
    base = get_preset("eduzz").model_dump()
    bad = Platform(preset=Preset.model_validate({**base, "signature_scheme": "md5"}))
    with pytest.raises(ValueError, match="platform 'eduzz': unknown signature scheme 'md5'"):
        check_platform_schemes([*all_platforms(), bad])
    unsigned = Platform(preset=get_preset("tray"), unsigned_scheme="md5")
    with pytest.raises(ValueError, match="platform 'tray': unknown signature scheme 'md5'"):
        check_platform_schemes([unsigned])


@pytest.mark.parametrize("preset", all_presets(), ids=lambda p: p.id)
def test_every_preset_is_valid_and_explained(preset: Preset) -> None:
    # Round trip through plain data: what the console would store.
    again = Preset.model_validate(preset.model_dump(mode="json"))
    assert again == preset
    assert preset.source.strip()
    if preset.mapping is not None:
        assert Mapping.model_validate(preset.mapping.model_dump(mode="json")) == preset.mapping
        assert preset.mapping.event == preset.event
    if not preset.documented:
        assert preset.notes.strip()
    for code, label in preset.events.items():
        assert code.strip() and label.strip()


def test_preset_rejects_a_mismatched_event_and_unexplained_guesses() -> None:
    base = get_preset("eduzz").model_dump()
    with pytest.raises(ValueError, match=r"mapping\.event differs"):
        Preset.model_validate({**base, "event": "type"})
    with pytest.raises(ValueError, match="undocumented presets must explain"):
        Preset.model_validate({**base, "documented": False, "notes": ""})


def test_undocumented_presets_assert_no_guessed_lead_fields() -> None:
    """Without public docs a preset gives no guessed mapping: creating an integration applies
    a preset's mapping, so a guess would be presented as fact. An undocumented platform gets
    a mapping only from real deliveries published in public material, which its unit says
    (covers) and its fixtures prove; elsewhere discovery fills in."""
    fixtures = {path.name.split("__", 1)[0] for path in _fixtures()}
    for preset in all_presets():
        if not preset.documented and preset.mapping is not None:
            assert preset.covers and preset.id in fixtures, preset.id


def test_every_documented_mapping_is_exercised_by_a_payload() -> None:
    covered = {sample.platform for sample in _samples()}
    covered |= {path.name.split("__", 1)[0] for path in _fixtures()}
    for preset in all_presets():
        if preset.documented or preset.mapping is not None:
            assert preset.id in covered, f"no sample or fixture for {preset.id}"


def test_presets_without_a_sample_are_tested_on_doc_fixtures_citing_their_source() -> None:
    sampled = {sample.platform for sample in _samples()}
    fixtures: dict[str, list[dict[str, Any]]] = {}
    for path in _fixtures():
        record = json.loads(path.read_text(encoding="utf-8"))
        fixtures.setdefault(path.name.split("__", 1)[0], []).append(record)
    for preset in all_presets():
        if preset.mapping is None or preset.id in sampled:
            continue
        records = fixtures.get(preset.id, [])
        assert records, f"{preset.id}: a mapping but neither a sample nor a doc fixture"
        for record in records:
            assert record["source"].strip() and record["expected"]["event"], preset.id
        # At least one fixture has a whole lead, so every field of the mapping is exercised.
        assert any(all(r["expected"][k] for k in ("name", "phone_raw")) for r in records)


def test_readme_platforms_table_is_generated_from_the_registry() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    assert platforms_table() in readme, "run python -m platforms and paste into README"


# --------------------------------------------------------------------------- samples


def test_presets_map_every_shared_sample() -> None:
    samples = _samples()
    assert samples
    for sample in samples:
        preset = get_preset(sample.platform)
        assert preset.mapping is not None, sample.file
        lead = apply_mapping(preset.mapping, sample.data, sample.headers)
        found = {
            "event": lead.event,
            "name": lead.name,
            "phone": lead.phone_raw,
            "email": lead.fields.get("email"),
        }
        for field, expected in sample.expected.items():
            if expected is None and (sample.platform, field) in FALLBACKS:
                continue
            if expected is None:
                assert found[field] is None, (sample.file, field, found[field])
            else:
                assert found[field] == str(expected).strip(), (sample.file, field)


def test_shopify_event_and_delivery_id_come_from_headers() -> None:
    preset = get_preset("shopify")
    sample = next(s for s in _samples() if s.platform == "shopify")
    lead = apply_mapping(preset.mapping, sample.data, sample.headers)
    assert lead.event == sample.headers["X-Shopify-Topic"]
    assert preset.delivery_id == HeaderSource(header="X-Shopify-Webhook-Id")
    assert _resolve(preset.delivery_id, sample.data, sample.headers) is not None


def test_delivery_ids_resolve_on_samples_that_record_one() -> None:
    directory = samples_dir()
    for sample in _samples():
        record = json.loads((directory / sample.file).read_text(encoding="utf-8"))
        recorded = record.get("event_id_path")
        if not recorded:
            continue
        preset = get_preset(sample.platform)
        assert preset.delivery_id is not None, sample.file
        found = _resolve(preset.delivery_id, sample.data, sample.headers)
        assert found == jmespath.search(recorded, sample.data), sample.file


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: p.stem)
def test_fixture_maps_as_the_platform_docs_say(path: Path) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["source"].strip()
    platform = path.name.split("__", 1)[0]
    preset = get_preset(platform)
    body = record["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    data = parse_body(raw, record["content_type"]).data
    headers = record.get("headers", {})
    expected = record["expected"]
    assert _resolve(preset.event, data, headers) == expected["event"]
    if preset.mapping is None:
        assert expected["name"] is None and expected["phone_raw"] is None
        return
    lead = apply_mapping(preset.mapping, data, headers)
    assert lead.event == expected["event"]
    assert lead.name == expected["name"]
    assert lead.phone_raw == expected["phone_raw"]
    assert lead.fields.get("email") == expected["email"]


def test_composite_phones_normalise_to_e164() -> None:
    """Split phones (Ticto ddi+ddd+number, Hotmart dddCell+cell) end up as one E.164 number."""
    cases = {"ticto__authorized.json": "+5521982100352"}
    cases["hotmart__SUBSCRIPTION_CANCELLATION.json"] = "+5531999999999"
    for name, e164 in cases.items():
        record = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        preset = get_preset(name.split("__", 1)[0])
        lead = apply_mapping(preset.mapping, record["body"], record.get("headers"))
        assert lead.phone == e164, (name, lead.errors)
