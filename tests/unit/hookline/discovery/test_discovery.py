"""Discovery: structure inference, mapping suggestion and platform detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.discovery import (
    by_platform,
    has_preset,
    load_fixtures,
    load_forms,
    load_samples,
    preset_agreement,
    preset_mapped,
    render,
    render_platforms,
    score_preset,
    table,
    totals,
)
from core.body import parse_body
from hookline.discovery import (
    IncompleteSuggestionError,
    Structure,
    detect_platform,
    infer_structure,
    merge,
    suggest_mapping,
)
from hookline.discovery.check import check_mapping
from hookline.discovery.structure import parent_path
from schemas.mapping import HeaderSource, Mapping
from streams.mapping import apply_mapping
from tests.samples import require_samples_dir

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "platforms"


def _samples() -> list[Any]:
    return load_samples(require_samples_dir())


def _fixture(name: str) -> tuple[Any, dict[str, str], dict[str, Any]]:
    record = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    body = record["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return parse_body(raw, record["content_type"]).data, record.get("headers", {}), record


# --------------------------------------------------------------------------- structure


def test_paths_types_examples_and_quoting() -> None:
    body = {
        "data": {"buyer": {"name": "Ana", "age": 30, "vip": True, "score": 1.5}},
        "items": [{"sku": "A"}, {"sku": "B", "qty": 2}],
        "contact[email]": "ana@example.com",
        "weird key": None,
    }
    structure = infer_structure([body])
    paths = structure.paths
    assert paths["data.buyer.name"].types == ["string"]
    assert paths["data.buyer.name"].example == "Ana"
    assert paths["data.buyer.age"].types == ["integer"]
    assert paths["data.buyer.vip"].types == ["boolean"]
    assert paths["data.buyer.score"].types == ["number"]
    assert paths["items"].types == ["array"]
    assert paths["items[].sku"].example == "A"
    assert paths['"contact[email]"'].example == "ana@example.com"
    assert paths['"weird key"'].types == ["null"]
    # Every recorded path is a valid jmespath expression over the body.
    for path in paths:
        jmespath.compile(path)
    assert jmespath.search('"contact[email]"', body) == "ana@example.com"


def test_counts_once_per_payload_and_frequency() -> None:
    bodies = [
        {"event": "A", "items": [{"sku": 1}, {"sku": 2}, {"sku": 3}]},
        {"event": "B"},
        {"event": None, "extra": "x"},
        {"event": "D"},
    ]
    structure = infer_structure(bodies)
    assert structure.samples == 4
    assert structure.paths["event"].count == 4
    assert structure.paths["event"].frequency == 1.0
    assert structure.paths["event"].types == ["null", "string"]
    assert structure.paths["items[].sku"].count == 1  # three items, one payload
    assert structure.paths["items[].sku"].frequency == 0.25
    assert structure.paths["extra"].frequency == 0.25


def test_examples_are_truncated_and_headers_recorded() -> None:
    structure = infer_structure(
        [{"note": "x" * 500}],
        [{"X-Shopify-Topic": "orders/create"}, {"X-Other": "1"}],
    )
    assert structure.paths["note"].example == "x" * 200
    assert structure.header_samples == 2
    assert structure.headers["x-shopify-topic"].example == "orders/create"
    assert structure.headers["x-shopify-topic"].frequency == 0.5


def test_merge_equals_reading_everything_at_once() -> None:
    first = [{"a": 1, "b": {"c": "x"}}, {"a": "2"}]
    second = [{"b": {"c": None, "d": [1, 2]}}, {"a": 3}, {"e": True}]
    headers_one = [{"X-A": "1"}]
    headers_two = [{"X-A": "2"}, {"X-B": "3"}]
    merged = merge(infer_structure(first, headers_one), infer_structure(second, headers_two))
    together = infer_structure(first + second, headers_one + headers_two)
    assert merged.samples == together.samples == 5
    assert merged.header_samples == 3
    assert set(merged.paths) == set(together.paths)
    for path, stats in together.paths.items():
        assert merged.paths[path].types == stats.types, path
        assert merged.paths[path].count == stats.count, path
        assert merged.paths[path].frequency == pytest.approx(stats.frequency), path
    for name, stats in together.headers.items():
        assert merged.headers[name].frequency == pytest.approx(stats.frequency)
    # Merging with an empty structure changes nothing.
    assert merge(together, Structure()).paths == together.paths


def test_caps_bound_paths_and_depth() -> None:
    wide = {f"k{i}": i for i in range(50)}
    capped = infer_structure([wide], max_paths=10)
    assert len(capped.paths) == 10
    assert capped.truncated
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(30):
        deep = {"n": deep}
    shallow = infer_structure([deep], max_depth=5)
    assert shallow.truncated
    assert max(path.count(".") for path in shallow.paths) < 5
    many = infer_structure([{"items": [{f"k{i}": i} for i in range(100)]}], max_items=3)
    assert {p for p in many.paths if p.startswith("items[].")} == {
        "items[].k0",
        "items[].k1",
        "items[].k2",
    }
    # The default cap holds on a payload with thousands of keys.
    huge = infer_structure([{f"key{i}": i for i in range(5000)}])
    assert len(huge.paths) == 2000 and huge.truncated


def test_structure_is_json_serialisable() -> None:
    structure = infer_structure([{"a": {"b": [1, "x", None]}}], [{"X-Topic": "t"}])
    text = structure.model_dump_json()
    assert Structure.model_validate_json(text) == structure


def test_parent_path_turns_the_table_into_a_tree() -> None:
    assert parent_path("data.buyer.name") == "data.buyer"
    assert parent_path("data") == ""
    assert parent_path("items[].sku") == "items[]"
    assert parent_path("items[]") == "items"
    assert parent_path('"contact[email]"') == ""
    assert parent_path('contact."a.b\\"c"') == "contact"
    structure = infer_structure([{"a": {"b.c": [{"d": 1}]}}])
    assert [parent_path(p) for p in structure.paths] == ["", "a", 'a."b.c"', 'a."b.c"[]']


# --------------------------------------------------------------------------- suggestion


def test_suggestion_accuracy_on_shared_samples(capsys: pytest.CaptureFixture[str]) -> None:
    rows, right, scored = table(_samples())
    report = render(rows, right, scored)
    with capsys.disabled():
        print("\nsuggestion accuracy per sample (ok / wrong / - = nothing recorded)")
        print(report)
    assert scored >= 15
    # Honest floor: 20/21 today; the one miss is Shopify's phone (see the report).
    assert right / scored >= 0.9, report
    for name, cells in rows:
        assert cells["event"] != "wrong", name


def test_suggestion_accuracy_on_doc_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    """Same measure on the payloads written from platform docs (expected values by hand).

    Not a held-out set: the heuristics were adjusted while these fixtures existed, so this
    guards against regressions rather than measuring generalisation.
    """
    rows, right, scored = table(load_fixtures())
    report = render(rows, right, scored)
    with capsys.disabled():
        print("\nsuggestion accuracy on doc fixtures")
        print(report)
    assert scored >= 25
    # Lower than on the rest: preset platforms compose events the payload does not spell
    # (Eduzz's invoice.3, Greenn's saleUpdated.paid); their presets map them (see below).
    assert right / scored >= 0.85, report


def test_presets_read_every_payload_they_claim() -> None:
    """bench/discovery.py's first measure: 100% of event/name/phone/email."""
    claimed = [s for s in [*_samples(), *load_fixtures()] if has_preset(s)]
    rows = by_platform(claimed, score_preset, detect=False)
    right, scored = totals(rows)
    assert scored >= 100 and right == scored, render_platforms(rows)


def test_suggestions_on_payloads_without_a_preset_mapping() -> None:
    """bench/discovery.py's second measure: ids-only platforms and form builders, >= 95%."""
    rest = [s for s in [*_samples(), *load_fixtures()] if not preset_mapped(s)] + load_forms()
    rows = by_platform(rest)
    right, scored = totals(rows)
    assert scored >= 40 and right / scored >= 0.95, render_platforms(rows)


def test_form_builders_are_read_by_their_labels_not_their_keys() -> None:
    """Elementor's fields[f3][value] is what fields[f3][title] says; a Typeform answer is
    what its question says; a form's own name is the event candidate, never the name."""
    body = {
        "form[name]": "Contato",
        "fields[f1][title]": "Seu nome",
        "fields[f1][value]": "Ana Lima",
        "fields[f2][title]": "Whatsapp",
        "fields[f2][type]": "tel",
        "fields[f2][value]": "(11) 98888-7777",
    }
    suggestion = suggest_mapping(infer_structure([body]))
    assert suggestion.name is not None and suggestion.name.source == '"fields[f1][value]"'
    assert suggestion.phone is not None and suggestion.phone.source == '"fields[f2][value]"'
    assert suggestion.event is not None and suggestion.event.source == '"form[name]"'
    typeform = {
        "form_response": {
            "definition": {"title": "Lista", "fields": [{"id": "a1", "title": "Seu nome"}]},
            "answers": [
                {"type": "text", "text": "Olá", "field": {"id": "z9", "ref": "mensagem"}},
                {"type": "text", "text": "Ana Lima", "field": {"id": "a1", "ref": "x"}},
                {"type": "phone_number", "phone_number": "+5511988887777", "field": {"id": "b"}},
            ],
        }
    }
    found = suggest_mapping(infer_structure([typeform]))
    assert found.name is not None and "a1" in str(found.name.source)
    assert jmespath.search(str(found.name.source), typeform) == "Ana Lima"
    assert jmespath.search(str(found.phone.source), typeform) == "+5511988887777"


def test_suggestion_converts_to_a_valid_mapping() -> None:
    sample = next(s for s in _samples() if s.platform == "eduzz")
    suggestion = suggest_mapping(infer_structure([sample.data]))
    mapping = suggestion.to_mapping(default_region="BR")
    assert isinstance(mapping, Mapping)
    lead = apply_mapping(mapping, sample.data)
    assert lead.event == "myeduzz.invoice_paid"
    assert lead.name == "Alice Johnson"
    assert lead.fields["email"] == "alice.johnson@example.com"
    for found in (suggestion.event, suggestion.name, suggestion.phone):
        assert found is not None and 0 < found.confidence <= 1 and found.reason


def test_missing_required_fields_are_reported() -> None:
    suggestion = suggest_mapping(infer_structure([{"event": "ORDER_PAID", "total": 10}]))
    assert suggestion.event is not None
    assert suggestion.missing == ["name", "phone"]
    with pytest.raises(IncompleteSuggestionError, match="name, phone"):
        suggestion.to_mapping()


def test_composite_phone_from_ddd_and_number_siblings() -> None:
    for name in ("ticto__authorized.json", "hotmart__SUBSCRIPTION_CANCELLATION.json"):
        data, headers, record = _fixture(name)
        suggestion = suggest_mapping(infer_structure([data]), headers)
        assert suggestion.phone is not None
        value = jmespath.search(suggestion.phone.source, data)
        assert value == record["expected"]["phone_raw"], (name, suggestion.phone)


def test_first_and_last_name_are_joined() -> None:
    body = {"cliente": {"first_name": "Maria", "last_name": "Souza", "celular": "11988887777"}}
    suggestion = suggest_mapping(infer_structure([body]))
    assert suggestion.name is not None
    assert jmespath.search(suggestion.name.source, body) == "Maria Souza"
    assert suggestion.phone is not None and suggestion.phone.source == "cliente.celular"


def test_person_context_beats_producer_and_affiliate() -> None:
    body = {
        "evento": "COMPRA_APROVADA",
        "produtor": {"nome": "Loja X", "email": "loja@example.com", "telefone": "1133334444"},
        "comprador": {
            "nome": "João Silva",
            "email": "joao@example.com",
            "whatsapp": "+5511999990000",
        },
    }
    suggestion = suggest_mapping(infer_structure([body]))
    mapping = suggestion.to_mapping()
    lead = apply_mapping(mapping, body)
    assert (lead.event, lead.name, lead.phone) == (
        "COMPRA_APROVADA",
        "João Silva",
        "+5511999990000",
    )
    assert lead.fields["email"] == "joao@example.com"


def test_event_from_topic_header() -> None:
    body = {"id": 1, "billing": {"first_name": "A", "last_name": "B", "phone": "11999990000"}}
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "9"}
    suggestion = suggest_mapping(infer_structure([body], [headers]), headers)
    assert suggestion.event is not None
    assert suggestion.event.source == HeaderSource(header="X-Wc-Webhook-Topic")


def test_nullable_best_path_falls_back_with_or() -> None:
    bodies = [
        {"customer": {"phone": None}, "billing": {"phone": "11999990000"}},
        {"customer": {"phone": "11988887777"}, "billing": {"phone": "11999990000"}},
    ]
    suggestion = suggest_mapping(infer_structure(bodies))
    assert suggestion.phone is not None
    assert "||" in suggestion.phone.source
    assert [jmespath.search(suggestion.phone.source, b) for b in bodies] == [
        "11999990000",
        "11988887777",
    ]


# --------------------------------------------------------------------------- detection


def test_detects_every_shared_sample() -> None:
    for sample in _samples():
        found = detect_platform(sample.data, sample.headers)
        assert found, sample.file
        platform, confidence, reason = found[0]
        assert platform == sample.platform, (sample.file, found)
        assert 0 < confidence <= 1 and reason


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_detects_documented_fixtures(path: Path) -> None:
    data, headers, _ = _fixture(path.name)
    found = detect_platform(data, headers)
    assert found and found[0][0] == path.name.split("__", 1)[0], found


def test_nothing_recognisable_gives_no_guess() -> None:
    assert detect_platform({"name": "Ana", "phone": "11999990000"}, {}) == []
    assert detect_platform("plain text", None) == []
    assert detect_platform(None, {"Content-Type": "application/json"}) == []


def test_headers_outrank_body_shape() -> None:
    found = detect_platform({"id": 5}, {"X-Shopify-Topic": "orders/paid"})
    assert found[0][:2] == ("shopify", 0.99)


# --------------------------------------------------------------------------- robustness

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_json, min_size=1, max_size=3))
def test_any_payload_gives_compilable_paths_and_a_usable_suggestion(bodies: list[Any]) -> None:
    structure = infer_structure(bodies)
    for path in structure.paths:
        jmespath.compile(path)
        # The flat table is a tree: every path's container was recorded too.
        assert parent_path(path) in ("", *structure.paths), path
    suggestion = suggest_mapping(structure)
    try:
        mapping = suggestion.to_mapping()
    except IncompleteSuggestionError as exc:
        assert exc.missing == suggestion.missing and exc.missing
        return
    for body in bodies:
        apply_mapping(mapping, body)  # never raises


# --------------------------------------------------------------------------- checks


def test_check_mapping_counts_what_resolves() -> None:
    mapping = Mapping(
        event="event", name="buyer.name", phone="buyer.phone", fields={"email": "buyer.email"}
    )
    payloads = [
        ({"event": "A", "buyer": {"name": "Ana", "phone": "11999998888", "email": "a@b.co"}}, {}),
        ({"event": "B", "buyer": {"name": "Bia", "phone": "123"}}, {}),
        ({"event": "C"}, {"x-topic": "t"}),
    ]
    check = check_mapping(mapping, payloads)
    assert (check.payloads, check.ok) == (3, 1)
    assert check.resolved == {"event": 3, "name": 2, "phone": 1, "email": 1}
    assert set(check.errors) == {
        "invalid phone '123': too short",
        "missing required field: name",
        "missing required field: phone",
    }
    assert check_mapping(mapping, []).resolved == dict.fromkeys(check.resolved, 0)


def test_evaluation_per_platform_sums_the_cells() -> None:
    rows = dict(by_platform(load_fixtures()))
    assert rows["activecampaign"]["payloads"] == "2"
    assert rows["activecampaign"]["event"] == "2/2"
    assert rows["activecampaign"]["phone"] == "1/1"  # the update fixture has no phone
    assert rows["vtex"]["name"] == "-"
    assert all(cells["detect"] != "-" for cells in rows.values())
    report = render_platforms(list(rows.items()))
    assert report.splitlines()[0].split() == [
        "platform",
        "payloads",
        "event",
        "name",
        "phone",
        "email",
        "detect",
    ]


def test_product_name_under_a_product_key_and_implausible_values() -> None:
    body = {
        "event": "PAID",
        "buyer": {"name": "Ana Souza", "phone": "11999998888"},
        "product": {"id": 7, "name": "Curso de Bolo", "is_physical": False},
        "purchase": {"price": {"value": 197.0}, "created": 1763247746008},
        "tickets": {"amount": 1763247746008},
    }
    suggestion = suggest_mapping(infer_structure([body]))
    assert suggestion.fields["product"].source == "product.name"
    assert suggestion.fields["value"].source == "purchase.price.value"
    # A boolean never names a product.
    flags = suggest_mapping(infer_structure([{"product": {"is_physical_product": True}}]))
    assert "product" not in flags.fields


def test_evaluation_compares_optional_fields_with_the_presets() -> None:
    agree, compared, misses = preset_agreement(load_fixtures())
    assert compared >= 20 and agree + len(misses) == compared
    # Agreement, not truth: presets now read ids and amounts the payload names in its own
    # way (Eduzz's trans_cod, PerfectPay's code).
    assert agree / compared >= 0.75, misses
