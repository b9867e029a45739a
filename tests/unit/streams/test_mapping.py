import json
import re
import sys
import urllib.parse
from pathlib import Path

import jmespath
import pytest

from core.body import parse_body
from schemas.mapping import Mapping, compile_expression
from streams.mapping import MappedLead, apply_mapping, map_request

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root, for tests.samples
from tests.samples import Sample, sample_params

ABSENT = "hookline_absent_path"  # stands in for a path the platform does not send

# E.164 verified by hand (region, expected) for each sample's phone path.
KNOWN_PHONES = {
    # checkout_phone "99999999900": national BR, DDD 99 + 9 9999-9900.
    "hotmart__PURCHASE_APPROVED.json": ("BR", "+5599999999900"),
    "hotmart__PURCHASE_CANCELED.json": ("BR", "+5599999999900"),
    # cellphone "555-321-9876" read as BR national: DDD 55 + 5321-9876 (a landline shape).
    "eduzz__myeduzz.invoice_paid.json": ("BR", "+555553219876"),
    # billing phone "555-555-BILL" in a US store: letters, refused (never keypad digits).
    "shopify__orders_test_notification.json": ("US", None),
    # Twilio sends E.164 already (%2B-encoded).
    "twilio__incoming_sms.json": ("BR", "+14133881111"),
    "twilio__signature_test_vector.json": ("BR", "+14158675309"),
}


def mapping(**kwargs) -> Mapping:
    return Mapping.model_validate({"event": "event", "name": "name", "phone": "phone", **kwargs})


def wire_data(sample: Sample):
    """The body as a plain dict, decoded independently of core.body."""
    if isinstance(sample.body, str):
        pairs = urllib.parse.parse_qsl(sample.body, keep_blank_values=True)
        assert len({k for k, _ in pairs}) == len(pairs), "sample has repeated form keys"
        return dict(pairs)
    return sample.body


def sample_mapping(sample: Sample) -> Mapping:
    paths = sample.paths
    region = KNOWN_PHONES.get(sample.name, ("BR", None))[0]
    return Mapping(
        event=paths.get("event") or ABSENT,
        name=paths.get("name") or ABSENT,
        phone=paths.get("phone") or ABSENT,
        fields={"email": paths.get("email") or ABSENT},
        default_region=region,
    )


@pytest.mark.parametrize("sample", sample_params())
def test_sample_maps_like_its_documented_paths(sample: Sample):
    data = wire_data(sample)
    assert jmespath.search(ABSENT, data) is None
    parsed, lead = map_request(sample_mapping(sample), sample.raw, sample.content_type)

    assert parsed.format == ("form" if isinstance(sample.body, str) else "json")
    assert parsed.data == data
    for field in ("event", "name"):
        expected = jmespath.search(sample.paths.get(field) or ABSENT, data)
        if expected is None:
            assert f"missing required field: {field}" in lead.errors
            assert getattr(lead, field) is None
        else:
            assert getattr(lead, field) == str(expected).strip()
    email = jmespath.search(sample.paths.get("email") or ABSENT, data)
    assert lead.fields == {"email": email}

    raw_phone = jmespath.search(sample.paths.get("phone") or ABSENT, data)
    if raw_phone is None:
        assert "missing required field: phone" in lead.errors
        assert (lead.phone, lead.phone_raw) == (None, None)
        return
    assert lead.phone_raw == str(raw_phone)
    if sample.name in KNOWN_PHONES:
        assert lead.phone == KNOWN_PHONES[sample.name][1]
        if lead.phone is None:
            assert f"invalid phone '{raw_phone}': has letters" in " ".join(lead.errors)
            return
    else:  # a sample added later: at least E.164-shaped and ending with the sent digits
        assert re.fullmatch(r"\+[1-9]\d{6,14}", lead.phone or ""), lead.errors
        assert lead.phone.endswith(re.sub(r"\D", "", str(raw_phone))[-6:])
    assert lead.errors == [e for e in lead.errors if e.startswith("missing required field")]


@pytest.mark.parametrize("sample", sample_params())
def test_sample_raw_variants(sample: Sample):
    # Stripe's exact signed bytes parse to the same body.
    if "raw_body" in sample.doc:
        assert parse_body(sample.doc["raw_body"].encode(), sample.content_type).data == sample.body
    # Eduzz's documented sample is not valid JSON: kept as text, reported, never a crash.
    verbatim = sample.doc.get("body_raw_verbatim")
    if verbatim is not None:
        try:
            json.loads(verbatim)
        except ValueError:
            parsed, lead = map_request(
                sample_mapping(sample), verbatim.encode(), "application/json"
            )
            assert parsed.format == "text" and parsed.broken
            # Where the body breaks, not the fields it leaves missing, is the reason.
            assert lead.errors == [parsed.error]
            assert parsed.error.startswith("invalid JSON at byte ")


# --- forms ------------------------------------------------------------------------------------


def test_form_with_bracket_keys():
    raw = (
        b"type=subscribe&contact[email]=a%40b.com&contact[phone]=%2811%29+99999-9999"
        b"&contact[first_name]=Jo%C3%A3o&contact[tags]=vip"
    )
    m = mapping(
        event="type",
        name='"contact[first_name]"',
        phone='"contact[phone]"',
        fields={"email": '"contact[email]"', "tags": '"contact[tags]"'},
    )
    _, lead = map_request(m, raw, "application/x-www-form-urlencoded")
    assert lead == MappedLead(
        event="subscribe",
        name="João",
        phone="+5511999999999",
        phone_raw="(11) 99999-9999",
        fields={"email": "a@b.com", "tags": "vip"},
        errors=[],
    )
    assert lead.ok


def test_form_with_repeated_keys():
    raw = b"event=lead&event=lead2&name=Ana&phone=11999999999&tag=a&tag=b"
    m = mapping(fields={"tags": "tag", "first_tag": "tag[0]"})
    _, lead = map_request(m, raw, "application/x-www-form-urlencoded")
    assert lead.fields == {"tags": ["a", "b"], "first_tag": "a"}
    assert lead.errors == ["event is not a scalar (got array)"]
    _, lead = map_request(mapping(event="event[0]"), raw, None)
    assert (lead.event, lead.ok) == ("lead", True)


def test_latin1_form_body_with_unicode_name():
    raw = "event=compra&name=S%E3o+Jo%E3o&phone=11999999999".encode("ascii")
    _, lead = map_request(mapping(), raw, "application/x-www-form-urlencoded; charset=latin-1")
    assert lead.name == "São João"


# --- composite phones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "expression", "e164"),
    [
        (
            {"ddd": "11", "number": "999999999"},
            "join('', [phone.ddd, phone.number])",
            "+5511999999999",
        ),
        # Ticto-like: ddi + ddd + number, with or without the +.
        (
            {"ddi": "55", "ddd": "21", "number": "98765-4321"},
            "join('', [phone.ddi, phone.ddd, phone.number])",
            "+5521987654321",
        ),
        (
            {"ddi": "+1", "ddd": "413", "number": "3881111"},
            "join('', [phone.ddi, phone.ddd, phone.number])",
            "+14133881111",
        ),
    ],
)
def test_composite_phone(phone, expression, e164):
    lead = apply_mapping(mapping(phone=expression), {"event": "e", "name": "n", "phone": phone})
    assert (lead.phone, lead.errors) == (e164, [])


@pytest.mark.parametrize("phone", [{"ddd": 11, "number": "999999999"}, {"number": "999999999"}])
def test_join_over_non_strings_is_an_expression_error(phone):
    m = mapping(phone="join('', [phone.ddd, phone.number])")
    lead = apply_mapping(m, {"event": "e", "name": "n", "phone": phone})
    assert lead.phone is None
    assert len(lead.errors) == 1
    assert lead.errors[0].startswith("expression error in phone: ")


# --- headers and query ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"x-shopify-topic": "orders/paid"},
        {"X-Shopify-Topic": "orders/paid"},
        {"X-SHOPIFY-TOPIC": "orders/paid"},
    ],
)
def test_header_sourced_event_is_case_insensitive(headers):
    m = mapping(event={"header": "X-Shopify-Topic"})
    lead = apply_mapping(m, {"name": "John", "phone": "+14133881111"}, headers=headers)
    assert (lead.event, lead.errors) == ("orders/paid", [])


def test_missing_header_is_a_missing_field():
    m = mapping(event={"header": "X-Shopify-Topic"})
    lead = apply_mapping(m, {"name": "John", "phone": "+14133881111"}, headers={"other": "x"})
    assert lead.errors == ["missing required field: event"]


def test_query_sourced_values_take_the_first():
    m = mapping(
        event={"query": "event"}, fields={"src": {"query": "utm_source"}, "none": {"query": "x"}}
    )
    query = {"event": ["lead", "ignored"], "utm_source": ["ig"]}
    lead = apply_mapping(m, {"name": "Ana", "phone": "11999999999"}, query=query)
    assert (lead.event, lead.fields, lead.errors) == ("lead", {"src": "ig", "none": None}, [])
    assert apply_mapping(m, {}, query={"event": []}).event is None


def test_map_request_uses_the_content_type_header_when_none_is_given():
    parsed, lead = map_request(
        mapping(), b"event=e&name=n&phone=11999999999", None, {"Content-Type": "text/plain"}
    )
    assert (parsed.format, lead.ok) == ("form", True)  # text/plain, sniffed as a form


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["São João", "Ana 🌸", "Zoë Ñúñez", "李小龍"])
def test_unicode_names_survive_json_and_form(name):
    body = {"event": "e", "name": name, "phone": "11999999999"}
    _, from_json = map_request(mapping(), json.dumps(body, ensure_ascii=False).encode(), None)
    _, from_form = map_request(mapping(), urllib.parse.urlencode(body).encode(), None)
    assert from_json.name == from_form.name == name


def test_bom_json_body():
    raw = b"\xef\xbb\xbf" + json.dumps({"event": "e", "name": "n", "phone": "11999999999"}).encode()
    assert map_request(mapping(), raw, "application/json")[1].ok


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7, "7"),
        (820982911946154508, "820982911946154508"),
        (1.5, "1.5"),
        (True, "true"),
        ("  x  ", "x"),
    ],
)
def test_event_and_name_are_coerced_to_stripped_text(value, text):
    lead = apply_mapping(mapping(), {"event": value, "name": value, "phone": "11999999999"})
    assert (lead.event, lead.name, lead.errors) == (text, text, [])


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_values_are_missing(value):
    lead = apply_mapping(mapping(), {"event": value, "name": value, "phone": value})
    assert lead.errors == [
        "missing required field: event",
        "missing required field: name",
        "missing required field: phone",
    ]
    assert not lead.ok


@pytest.mark.parametrize(("value", "kind"), [({"a": 1}, "object"), ([1], "array"), ([], "array")])
def test_non_scalars_are_errors(value, kind):
    lead = apply_mapping(mapping(), {"event": value, "name": value, "phone": value})
    assert lead.errors == [
        f"event is not a scalar (got {kind})",
        f"name is not a scalar (got {kind})",
        f"phone is not a scalar (got {kind})",
    ]


def test_invalid_phone_keeps_raw_and_reason():
    lead = apply_mapping(mapping(), {"event": "e", "name": "n", "phone": " 123 "})
    assert (lead.phone, lead.phone_raw) == (None, "123")
    assert lead.errors == ["invalid phone '123': too short"]


def test_mapping_region_is_used_for_national_numbers():
    body = {"event": "e", "name": "n", "phone": "(413) 388-1111"}
    assert apply_mapping(mapping(default_region="US"), body).phone == "+14133881111"


def test_custom_fields_keep_json_values_and_missing_is_not_an_error():
    body = {"event": "e", "name": "n", "phone": 11999999999, "o": {"a": [1, 2]}, "n": 3, "z": None}
    m = mapping(fields={"obj": "o", "list": "o.a", "num": "n", "null": "z", "gone": "nope.deeper"})
    lead = apply_mapping(m, body)
    assert lead.fields == {
        "obj": {"a": [1, 2]},
        "list": [1, 2],
        "num": 3,
        "null": None,
        "gone": None,
    }
    assert (lead.phone, lead.phone_raw, lead.errors) == ("+5511999999999", "11999999999", [])


def test_an_optional_field_error_is_reported_and_never_blocks_the_lead():
    m = mapping(fields={"total": "sum(items)", "email": "foo(bar)", "product": "product"})
    body = {"event": "e", "name": "n", "phone": "11999999999", "items": ["x"], "product": "Curso"}
    lead = apply_mapping(m, body)
    assert lead.ok and lead.errors == []
    assert (lead.event, lead.name, lead.phone) == ("e", "n", "+5511999999999")
    assert lead.fields == {"total": None, "email": None, "product": "Curso"}
    assert [e.split(":")[0] for e in lead.field_errors] == [
        "expression error in fields.total",
        "expression error in fields.email",
    ]
    assert lead.field_errors[1] == "expression error in fields.email: Unknown function: foo()"
    assert lead.problems == lead.field_errors


def test_a_required_field_error_still_blocks_the_lead_and_comes_first():
    # A mapping saved before functions were checked still loads; its webhooks say why.
    m = mapping(event="foo(event)", fields={"total": "sum(items)"})
    lead = apply_mapping(m, {"event": "e", "name": "n", "phone": "11999999999", "items": ["x"]})
    assert not lead.ok
    assert lead.errors == ["expression error in event: Unknown function: foo()"]
    assert lead.problems[0] == lead.errors[0] and len(lead.problems) == 2


def test_a_broken_body_is_the_reason_not_the_fields_it_leaves_missing():
    raw = b'{"event": "e", "name": "Ana" "phone": "11999999999"}'
    parsed, lead = map_request(mapping(fields={"total": "sum(items)"}), raw, "application/json")
    assert parsed.broken
    expected = "invalid JSON at byte 29 (line 1, column 30): Expecting ',' delimiter"
    assert (lead.errors, lead.field_errors) == ([expected], [])
    # Every required field from headers: the lead goes through, the body's error is said.
    from_headers = mapping(
        event={"header": "X-Event"}, name={"header": "X-Name"}, phone={"header": "X-Phone"}
    )
    headers = {
        "X-Event": "e",
        "X-Name": "Ana",
        "X-Phone": "11999999999",
        "Content-Type": "application/json",
    }
    parsed, lead = map_request(from_headers, raw, None, headers)
    assert lead.ok and lead.field_errors == [expected]
    # Not declared JSON: the body is text, the fields are missing (nothing to blame).
    parsed, lead = map_request(mapping(), raw, "text/plain")
    assert not parsed.broken and lead.errors[0] == "missing required field: event"


@pytest.mark.parametrize("body", [None, "text", 42, [1, 2], {"event": {"deep": [None]}}])
def test_any_body_shape_maps_without_raising(body):
    lead = apply_mapping(mapping(), body)
    assert not lead.ok


def test_expressions_are_compiled_once():
    m = mapping(fields={"x": "very.specific.path_for_cache_test"})
    apply_mapping(m, {})
    hits = compile_expression.cache_info().hits
    apply_mapping(m, {})
    assert compile_expression.cache_info().hits >= hits + 4  # event, name, phone, x


# -- fallback chains (schemas/mapping.py Source) ---------------------------------------
def test_mappings_written_before_chains_load_unchanged_and_chains_round_trip() -> None:
    old = {"event": "event", "name": {"header": "X-Name"}, "phone": "phone", "fields": {}}
    assert Mapping.model_validate(old).model_dump(mode="json")["name"] == {"header": "X-Name"}
    chained = Mapping.model_validate(
        {"event": "event", "name": ["data.buyer.name", "data.user.name"], "phone": "phone"}
    )
    assert chained.name == ("data.buyer.name", "data.user.name")
    assert Mapping.model_validate_json(chained.model_dump_json()) == chained
    with pytest.raises(ValueError, match="invalid jmespath"):
        Mapping.model_validate({"event": "e", "name": ["ok", "bad["], "phone": "p"})
    with pytest.raises(ValueError, match="at least one"):
        Mapping.model_validate({"event": "e", "name": [], "phone": "p"})


def test_a_phone_chain_takes_the_first_valid_phone() -> None:
    chain = mapping(phone=["cus_cel", "cus_tel", "cus_tel2"])
    lead = apply_mapping(
        chain, {"event": "e", "name": "Ana", "cus_cel": "()", "cus_tel": "011999999999"}
    )
    assert (lead.phone, lead.phone_raw, lead.errors) == ("+5511999999999", "011999999999", [])
    # None valid: the first candidate's error is the one reported.
    lead = apply_mapping(chain, {"event": "e", "name": "Ana", "cus_cel": "9ABC", "cus_tel": "12"})
    assert lead.phone is None and lead.errors == [
        "invalid phone '9ABC': has letters (not a phone number; vanity letters are never converted)"
    ]


def test_a_phone_that_looks_foreign_is_a_warning_not_an_error() -> None:
    lead = apply_mapping(mapping(), {"event": "e", "name": "Ana", "phone": "14155552671"})
    assert lead.ok and lead.phone == "+5514155552671"
    assert "+14155552671 (US)" in lead.warnings[0]
