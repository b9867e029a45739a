"""Credentials in bodies are masked where bodies are kept for people (core/redact.py)."""

from __future__ import annotations

import io
import json
import logging
import random
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonjsonlogger.json import JsonFormatter

from core import redact
from core.logs import Redact
from core.redact import (
    CREDENTIAL_FIELDS,
    MASK,
    is_credential_name,
    json_free_of_credentials,
    mask_data,
    mask_headers,
    mask_log_text,
    mask_secrets,
    mask_text,
    names_credential,
)
from ingest.envelope import CREDENTIAL_HEADERS
from platforms import credential_fields
from tests.samples import Sample, sample_params


def test_json_fields_at_any_depth_and_any_case() -> None:
    body = {"hottok": "abc", "data": {"Token": 123, "items": [{"api_key": "k"}]}, "id": "keep"}
    text = json.dumps(body)
    masked = mask_text(text)
    assert json.loads(masked) == {
        "hottok": MASK,
        "data": {"Token": MASK, "items": [{"api_key": MASK}]},
        "id": "keep",
    }
    assert mask_data(body) == json.loads(masked)
    assert body["hottok"] == "abc"  # mask_data copies


def test_escaped_quotes_inside_json_values() -> None:
    assert mask_text(r'{"token": "a\"b", "x": "y"}') == '{"token": "***", "x": "y"}'


def test_form_multipart_and_xml() -> None:
    form = "origin_secret=s1&name=Ana&api_key=k2"
    assert mask_text(form) == "origin_secret=***&name=Ana&api_key=***"
    multipart = (
        '--b\r\nContent-Disposition: form-data; name="token"\r\n\r\nsecret-value\r\n'
        '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nAna\r\n--b--'
    )
    masked = mask_text(multipart)
    assert "secret-value" not in masked and "Ana" in masked
    assert mask_text("<order><hottok>t</hottok><id>1</id></order>") == (
        "<order><hottok>***</hottok><id>1</id></order>"
    )


def test_other_fields_are_untouched() -> None:
    text = '{"access_token_hint": "x", "tokens": 2, "event": "token=1"}'
    assert mask_text(text) == text


def test_a_url_credential_inside_json_is_masked_up_to_its_strings_end() -> None:
    """A postback URL in a JSON value: its token is masked, and the rest of the body
    stays readable (the form pattern used to mask up to the end of the text)."""
    text = (
        '{"postback": "https://x.example/cb?token=abc123&b=2&hottok=zz", '
        '"name": "Bob", "next": "y?a=1&token=q\\"w"}'
    )
    assert mask_text(text) == (
        '{"postback": "https://x.example/cb?token=***&b=2&hottok=***", '
        '"name": "Bob", "next": "y?a=1&token=***\\"w"}'
    )
    # A form body is masked up to the next field, quotes and all.
    assert mask_text('a=1&token=abc"def&b=2') == "a=1&token=***&b=2"


def test_the_integrations_secret_is_masked_wherever_it_is() -> None:
    text = '{"custom_auth": "my-long-secret", "note": "sent my-long-secret twice"}'
    masked = mask_text(text, ["my-long-secret", None])
    assert "my-long-secret" not in masked
    # Very short secrets are not searched for (they would mask ordinary words).
    assert mask_text("abc", ["abc"]) == "abc"


# -- headers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "X-Api-Key",
        "Authorization",
        "x-auth-token",
        "X-Hub-Signature-256",
        "Set-Cookie",
        "X-Client-Secret",
        "x-db-password",
        "X-Hmac",
        "x-credentials",
    ],
)
def test_headers_named_like_credentials_are_masked(name: str) -> None:
    assert is_credential_name(name)
    assert mask_headers({name: "value", "x-trace": "t-1"}) == {name: MASK, "x-trace": "t-1"}


@pytest.mark.parametrize("name", ["content-type", "user-agent", "x-shopify-topic", "x-request-id"])
def test_other_headers_are_kept(name: str) -> None:
    assert not is_credential_name(name) and mask_headers({name: "v"}) == {name: "v"}


def test_the_verifiers_headers_are_credential_headers() -> None:
    # Dropped from the envelope entirely (derived in ingest/envelope.py).
    assert {"authorization", "x-hotmart-hottok", "stripe-signature"} <= CREDENTIAL_HEADERS
    assert "x-eduzzapi" in CREDENTIAL_HEADERS  # declared by platforms/eduzz.py, read by no scheme


def test_the_masked_body_fields_are_the_platforms_declared_ones() -> None:
    assert {"hottok", "token", "origin_secret", "api_key"} <= CREDENTIAL_FIELDS
    assert CREDENTIAL_FIELDS == {f.lower() for f in credential_fields()} - {"origin"}
    # Eduzz's legacy alias is read by its scheme but too common a key to mask everywhere.
    assert mask_data({"Origin": {"Account": "loja"}}) == {"Origin": {"Account": "loja"}}


# -- log text ------------------------------------------------------------------------
TOKEN = "Zq3xY8v_K2-abcdefghijklmnop012"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # aiohttp's InvalidURLError and BadStatusLine quote the request line
        (f"b'POST /hooks/{TOKEN}\\x7f HTTP/1.1'", "b'POST /hooks/*** HTTP/1.1'"),
        (f"http://a:b/hooks/{TOKEN}", "http://a:b/hooks/***"),
        (f"GET /HOOKS/{TOKEN}?x=1", "GET /HOOKS/***?x=1"),
        ("route /hooks/{token}", "route /hooks/{token}"),
        ("Authorization: Bearer hk_AbCdEf123456", "Authorization: Bearer ***"),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
        ("plan basic does not include webhooks", "plan basic does not include webhooks"),
        ("http://default:s3cret@clickhouse:8123/db", "http://default:***@clickhouse:8123/db"),
        ("key hk_AbCdEf123456-_x given", "key hk_*** given"),
        ("{'id': 'int_1', 'secret': 'it\\'s'}", "{'id': 'int_1', 'secret': '***'}"),
        ('{"X-Api-Key": "k-1", "n": "v"}', '{"X-Api-Key": "***", "n": "v"}'),
        ("token bucket refilled", "token bucket refilled"),
    ],
)
def test_log_text(text: str, masked: str) -> None:
    assert mask_log_text(text) == masked


def _logged(emit: Callable[[logging.Logger], None]) -> dict[str, Any]:
    """The JSON line written through a handler with the Redact filter, as core.logs sets up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("{message}", style="{"))
    handler.addFilter(Redact())
    logger = logging.getLogger(f"test.redact.{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    return json.loads(line)


def test_the_log_filter_masks_message_extra_and_traceback() -> None:
    def emit(logger: logging.Logger) -> None:
        try:
            raise ValueError(f"bad url /hooks/{TOKEN}")
        except ValueError:
            logger.exception(
                "request %s failed",
                f"/hooks/{TOKEN}",
                extra={"path": f"/hooks/{TOKEN}", "api_key": "k", "status": 400},
            )

    line = _logged(emit)
    assert TOKEN not in json.dumps(line)
    assert line["message"] == "request /hooks/*** failed"
    assert line["path"] == "/hooks/***" and line["api_key"] == "[redacted]"
    assert line["status"] == 400
    assert "ValueError: bad url /hooks/***" in line["exc_info"]


def test_the_log_filter_leaves_a_bad_format_call_to_the_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "%s %s", ("one",), None)
    assert Redact().filter(record) is True


def test_mask_data_copies_only_what_it_masks() -> None:
    clean = {"data": {"buyer": {"name": "Ana", "phones": ["1", "2"]}}, "items": [{"a": 1}]}
    assert mask_data(clean) is clean  # nothing to mask: shared, not copied
    body = {"hottok": "s3cret", "data": {"buyer": {"name": "Ana"}, "list": [{"Token": "t"}]}}
    masked = mask_data(body)
    assert masked == {
        "hottok": "***",
        "data": {"buyer": {"name": "Ana"}, "list": [{"Token": "***"}]},
    }
    assert body["hottok"] == "s3cret" and body["data"]["list"][0]["Token"] == "t"  # untouched
    assert masked["data"]["buyer"] is body["data"]["buyer"]  # unmasked branches shared


def test_mask_text_skips_text_without_credential_names_and_still_masks_any_case() -> None:
    assert mask_text('{"name": "Ana"}') == '{"name": "Ana"}'
    assert mask_text('{"HotTok": "abc"}') == '{"HotTok": "***"}'
    assert mask_text("a=1&HOTTOK=abc") == "a=1&HOTTOK=***"


# -- JSON known to hold no credential (the workers skip walking it) ----------------------
#: Pieces of keys and values: names and near names in any case, characters that lower to
#: letters (the Kelvin sign, a dotted I) or match them case-blind (the long s), control
#: characters, what JSON escapes, separators.
PIECES = [
    "hottok", "HotTok", "to", "ken", "T", "oken", "se", "cret", "api_", "key", "chave_unica",
    "origin_secret", "\u212a", "to\u212aen", "hotto\u212a", "\u0130", "\u017f", "\u017fecret",
    "é", "É", "ã", "😀", "\t", "\n", "\x01", '"', "\\", "/", "&", "=", "<", ">", ":", " ", "x", "1",
    "Ana", "Uberlândia", "t\x08",
]  # fmt: skip
SECRET = "s3cr3t-value"


def _random_data(rng: random.Random, depth: int = 0) -> Any:
    def text() -> str:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))

    if depth < 3 and rng.random() < 0.5:
        return {text(): _random_data(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 3 and rng.random() < 0.2:
        return [_random_data(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice([text(), text() + SECRET, 7, 1.5, True, None])


def _json_text(value: Any, rng: random.Random) -> str:
    """``value`` as JSON, some characters of its strings written as ``\\uXXXX`` escapes
    (as PHP writes every non-ASCII one), hex digits in either case."""
    if isinstance(value, dict):
        items = (f"{_json_text(k, rng)}: {_json_text(v, rng)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json_text(item, rng) for item in value) + "]"
    if not isinstance(value, str):
        return json.dumps(value)
    out = []
    for char in value:
        if rng.random() < 0.3:
            units = char.encode("utf-16-be")
            escape = "".join(
                f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)
            )
            out.append(escape.upper().replace("\\U", "\\u") if rng.random() < 0.5 else escape)
        else:
            out.append(json.dumps(char, ensure_ascii=rng.random() < 0.5)[1:-1])
    return '"' + "".join(out) + '"'


def test_json_known_free_of_credentials_is_left_as_masking_would_leave_it() -> None:
    """Differential: whatever JSON text it clears, walking and masking change nothing."""
    rng = random.Random(13)
    cleared = 0
    for _ in range(3000):
        data = _random_data(rng)
        text = _json_text(data, rng)
        assert json.loads(text) == data
        if not json_free_of_credentials(text):
            continue
        cleared += 1
        data = json.loads(text)
        assert mask_data(data) is data, text
        again = json.dumps(data, ensure_ascii=False, default=str)
        assert mask_text(again, [SECRET]) == mask_secrets(again, [SECRET]), text
    assert cleared > 300  # not a vacuous test


@pytest.mark.parametrize(
    ("text", "cleared"),
    [
        ('{"name": "Ana", "city": "Uberl\\u00e2ndia", "e": "\\u00C9\\ud83d\\ude00"}', True),
        ('{"n": "a\\tb\\n\\"c\\"\\\\ \\/"}', True),
        ('{"hottok": "x"}', False),
        ('{"HOTTOK": "x"}', False),
        ('{"note": "a token"}', False),  # a name anywhere: not known, walk it
        ('{"\\u0074oken": "x"}', False),  # an escaped letter
        ('{"hotto\\u212a": "x"}', False),  # the Kelvin sign is a k in lower case
        ('{"a": "\\u0009oken"}', False),  # a control character comes back as \\t
        ("{}", True),
    ],
)
def test_json_free_of_credentials_cases(text: str, cleared: bool) -> None:
    assert json_free_of_credentials(text) is cleared


def test_names_credential_finds_every_field_name_in_any_case() -> None:
    for name in CREDENTIAL_FIELDS:
        assert names_credential(f"x {name.upper()} y"), name
    assert not names_credential("origin hot tok ken")


def test_only_the_listed_characters_past_ascii_lower_to_ascii() -> None:
    """What names_credential's byte path relies on: any other character lower-cases to
    characters past ASCII only, so the ASCII runs of the text are those of its bytes."""
    lowering_to_ascii = [
        chr(code)
        for code in range(128, sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and any(c.isascii() for c in chr(code).lower())
    ]
    assert tuple(lowering_to_ascii) == redact._LOWER_TO_ASCII


@settings(max_examples=400)
@given(
    st.lists(
        st.sampled_from([*CREDENTIAL_FIELDS, "é", "ç", "—", "İ", "\u212a", "\ud800", "x", "_"])
        | st.text(max_size=4),
        max_size=12,
    ).map("".join),
    st.booleans(),
)
def test_names_credential_answers_as_lower_casing_the_text(text: str, upper: bool) -> None:
    text = text.upper() if upper else text
    lowered = text.lower()
    expected = any(name in lowered for name in redact._LOWER_NAMES)
    assert names_credential(text) is expected
    assert names_credential(f"São Paulo {text}") is expected


# -- the faster patterns mask as the first ones did ---------------------------------------
#: The patterns as first written, one search each (mask_text's were rewritten for speed:
#: literal first characters, a look-ahead on the names' first letters): the reference.
_REFERENCE_JSON = re.compile(
    rf'("(?i:{redact._NAMES})"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)'
)
_REFERENCE_FORM = re.compile(rf"((?:^|&)(?i:{redact._NAMES})=)([^&]*)")
_REFERENCE_FORM_IN_JSON = re.compile(rf'((?:^|[&?])(?i:{redact._NAMES})=)([^&"\\]*)')
_REFERENCE_MULTIPART = re.compile(
    rf'(name="(?i:{redact._NAMES})"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)'
)
_REFERENCE_XML = re.compile(rf"(<((?i:{redact._NAMES}))>)([^<]*)(?=</\2>)")


def reference_mask_text(text: str) -> str:
    """mask_text as it was (the same :func:`names_credential` gate before the patterns)."""
    if not names_credential(text):
        return text
    form = _REFERENCE_FORM_IN_JSON if text.lstrip()[:1] in ("{", "[") else _REFERENCE_FORM
    text = _REFERENCE_JSON.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    text = form.sub(lambda m: m.group(1) + MASK, text)
    text = _REFERENCE_MULTIPART.sub(lambda m: m.group(1) + MASK, text)
    return _REFERENCE_XML.sub(lambda m: m.group(1) + MASK, text)


#: What the patterns look for around a name: JSON keys and values, form and URL
#: separators, multipart headers, XML tags.
STRUCTURE = ['{"', '":', '": "', '", "', '"', "=", "&", "?", 'name="', "\r\n", "\n", "<", "</", ">",
             "[", "]", "{", "}", ",", "1.5e3", "-2"]  # fmt: skip


def _random_text(rng: random.Random) -> str:
    pieces = [rng.choice(STRUCTURE if rng.random() < 0.5 else PIECES) for _ in range(30)]
    return "".join(pieces)


def test_mask_text_masks_as_the_reference_patterns_on_random_text() -> None:
    rng = random.Random(29)
    changed = 0
    for _ in range(20_000):
        text = _random_text(rng)
        for variant in (text, "{" + text, "token=x&" + text, text.upper()):
            expected = reference_mask_text(variant)
            assert mask_text(variant) == expected, repr(variant)
            changed += expected != variant
    assert changed > 5_000  # not a vacuous test


def test_mask_text_masks_as_the_reference_patterns_on_json_data() -> None:
    rng = random.Random(31)
    changed = 0
    for _ in range(3_000):
        data = _random_data(rng)
        for text in (
            json.dumps(data, ensure_ascii=False),
            json.dumps(data, indent=2),
            _json_text(data, rng),
        ):
            expected = reference_mask_text(text)
            assert mask_text(text) == expected, repr(text)
            changed += expected != text
    assert changed > 100  # of 9,000 texts: not a vacuous test


@pytest.mark.parametrize("sample", sample_params(with_paths=False))
def test_mask_text_masks_every_real_sample_as_the_reference_patterns(sample: Sample) -> None:
    texts = [sample.raw.decode()]
    if not isinstance(sample.body, str):
        texts.append(json.dumps(sample.body, indent=2))
    for text in texts:
        assert mask_text(text) == reference_mask_text(text)


KEYS = st.sampled_from([*CREDENTIAL_FIELDS, "Token", "x", "id"])


@settings(max_examples=300)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(PIECES),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
))  # fmt: skip
def test_mask_data_masks_as_a_full_walk(data: Any) -> None:
    """mask_data enters only dicts and lists: the same as walking every value."""

    def full_walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: MASK if isinstance(k, str) and k.lower() in CREDENTIAL_FIELDS else full_walk(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [full_walk(item) for item in value]
        return value

    assert mask_data(data) == full_walk(data)
