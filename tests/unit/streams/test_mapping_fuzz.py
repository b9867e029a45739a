"""Property tests: no bytes, content type, header, query or JSON value makes the
pure mapping pipeline raise. A worker that raises on one webhook stops its partition."""

import json
import re
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.body import parse_body
from schemas.mapping import Mapping
from streams.mapping import apply_mapping, map_request
from streams.phone import normalise_phone

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
E164 = re.compile(r"\+[1-9]\d{1,14}")
STRUCTURED = {"json", "form", "multipart", "empty"}

KEYS = st.sampled_from(["event", "name", "phone", "a", "b", "contact[email]", "ddd", "número"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=b0undary",
            "multipart/form-data",
            "text/plain; charset=rot13",
            "application/xml",
            "application/octet-stream",
            "",
        ]
    ),
    st.text(max_size=60),
)
MULTIPART = st.lists(
    st.tuples(st.text(max_size=10), st.binary(max_size=30), st.booleans()), max_size=4
).map(
    lambda parts: (
        b"".join(
            b'--b0undary\r\nContent-Disposition: form-data; name="'
            + name.encode("utf-8", "surrogatepass")
            + (b'"; filename="f.bin"' if is_file else b'"')
            + b"\r\n\r\n"
            + content
            + b"\r\n"
            for name, content, is_file in parts
        )
        + b"--b0undary--\r\n"
    )
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=5).map(
        lambda pairs: urllib.parse.urlencode(pairs).encode()
    ),
    MULTIPART,
)
MAPPINGS = st.sampled_from(
    [
        Mapping(
            event="event", name="name", phone="phone", fields={"x": "a.b", "y": '"contact[email]"'}
        ),
        Mapping(
            event={"header": "X-Event"},
            name="join(' ', [a, b])",
            phone="join('', [ddd, phone])",
            fields={"n": "sum(a)", "s": "sort_by(@, &a)", "l": "length(@)", "q": {"query": "q"}},
        ),
        Mapping(
            event="to_string(@)",
            name="@",
            phone="to_number(phone)",
            fields={"m": "max_by(a, &b)", "k": "keys(@)"},
            default_region="US",
        ),
    ]
)
HEADERS = st.dictionaries(
    st.sampled_from(["X-Event", "x-event", "Content-Type"]) | st.text(max_size=8),
    st.text(max_size=20),
    max_size=3,
)
QUERY = st.dictionaries(
    st.sampled_from(["q", "event"]) | st.text(max_size=5),
    st.lists(st.text(max_size=10), max_size=3),
    max_size=3,
)


def check_lead(lead):
    assert lead.ok == (not lead.errors)
    assert all(isinstance(e, str) and e for e in lead.errors)
    assert lead.event is None or (isinstance(lead.event, str) and lead.event == lead.event.strip())
    assert lead.name is None or (isinstance(lead.name, str) and lead.name)
    assert lead.phone is None or E164.fullmatch(lead.phone)


@FUZZ
@given(raw=BODIES, content_type=CONTENT_TYPES)
def test_parse_body_never_raises(raw, content_type):
    parsed = parse_body(raw, content_type)
    assert parsed.format in STRUCTURED | {"xml", "text", "raw"}
    assert (parsed.error is None) == (parsed.format in STRUCTURED)
    assert isinstance(parsed.text, str)


@FUZZ
@given(raw=BODIES, content_type=CONTENT_TYPES, mapping=MAPPINGS, headers=HEADERS, query=QUERY)
def test_map_request_never_raises(raw, content_type, mapping, headers, query):
    _, lead = map_request(mapping, raw, content_type, headers, query)
    check_lead(lead)


@FUZZ
@given(body=JSON_VALUES, mapping=MAPPINGS, headers=HEADERS, query=QUERY)
def test_apply_mapping_never_raises_on_json_values(body, mapping, headers, query):
    check_lead(apply_mapping(mapping, body, headers, query))


@FUZZ
@given(
    raw=st.one_of(
        st.text(max_size=30),
        st.from_regex(r"\A[+0]?[0-9 ()\-.]{0,20}\Z"),
        st.integers(min_value=-(10**20), max_value=10**20),
        JSON_VALUES,
    ),
    region=st.sampled_from(["BR", "US", "GB", "PT", "XX", ""]),
)
def test_normalise_phone_never_raises(raw, region):
    result = normalise_phone(raw, region)
    assert (result.e164 is None) == (result.error is not None)
    assert result.e164 is None or E164.fullmatch(result.e164)


@FUZZ
@given(pairs=st.lists(st.tuples(st.text(min_size=1, max_size=8), st.text(max_size=8)), min_size=1))
def test_form_round_trip(pairs):
    parsed = parse_body(urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded")
    expected: dict = {}
    for key, value in pairs:
        expected.setdefault(key, []).append(value)
    assert parsed.data == {k: v[0] if len(v) == 1 else v for k, v in expected.items()}
