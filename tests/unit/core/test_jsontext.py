"""core.jsontext answers as the standard library's json does: the same values, the same
refusals with the same messages, every character escaped the same way."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import jsontext


def reference_loads(text: str) -> Any:
    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    return json.loads(text, parse_constant=reject)


def outcome(read: Any, text: str) -> tuple[str, Any]:
    """What reading ``text`` gives: its value, or its error's type and message."""
    try:
        return "value", read(text)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


def same_value(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down (``1`` is not ``1.0``, nor ``True``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)

#: Pieces of JSON texts, right and wrong: what makes the two decoders differ, if anything.
pieces = st.sampled_from(
    [
        "{", "}", "[", "]", ",", ":", " ", "\n", "\t", "\r", '"', "\\", "\\u", "\\ud800",
        "\\udc00", "\\u00e9", "\\n", "\\/", "\\x", "a", "é", "😀", "\x00", "\x1f", "\x7f",
        "\u2028", "0", "1", "-", "+", ".", "e", "E", "1e400", "-1e400", "1e-400",
        "18446744073709551616", "true", "false", "null", "NaN", "Infinity", "-Infinity",
        '"k"', '"k":', "1.5", "01", "\ufeff",
    ]
)  # fmt: skip


@settings(max_examples=1500)
@given(st.lists(pieces, max_size=14).map("".join))
def test_any_text_reads_as_json_reads_it(text: str) -> None:
    mine, reference = outcome(jsontext.loads, text), outcome(reference_loads, text)
    assert mine[0] == reference[0], (text, mine, reference)
    if mine[0] == "value":
        assert same_value(mine[1], reference[1]), (text, mine, reference)
    else:
        assert mine[1] == reference[1]


@settings(max_examples=500)
@given(json_values)
def test_json_texts_read_as_json_reads_them(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert same_value(jsontext.loads(text), reference_loads(text))


@settings(max_examples=500)
@given(json_values)
def test_written_text_reads_back_the_same_data(value: Any) -> None:
    text = jsontext.dumps(value)
    assert same_value(json.loads(text), value)
    if not _holds_float(value):  # floats aside, json's compact text exactly
        assert text == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _holds_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(map(_holds_float, value.values()))
    if isinstance(value, list):
        return any(map(_holds_float, value))
    return isinstance(value, float)


def test_every_character_is_escaped_as_json_escapes_it() -> None:
    """What ``core.redact.json_free_of_credentials`` reasons on: a character is written
    as json writes it (``ensure_ascii=False``): ``\\n``, ``\\u001f``, ``é`` as is, ...
    """
    differing = [
        code
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF
        and jsontext.dumps(chr(code)) != json.dumps(chr(code), ensure_ascii=False)
    ]
    assert differing == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e400", math.inf),  # beyond a float: msgspec refuses, json reads infinity
        ('"\\ud800"', "\ud800"),  # a lone surrogate: msgspec refuses, json keeps it
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
def test_what_msgspec_refuses_or_reads_otherwise_is_json_s(text: str, expected: Any) -> None:
    assert same_value(jsontext.loads(text), expected)


def test_refusals_are_json_s_with_their_position() -> None:
    with pytest.raises(json.JSONDecodeError) as broken:
        jsontext.loads('{"a": 1,\n "b" 2}')
    assert (broken.value.msg, broken.value.pos, broken.value.lineno) == (
        "Expecting ':' delimiter",
        14,
        2,
    )
    with pytest.raises(ValueError, match="NaN is not valid JSON"):
        jsontext.loads("[NaN]")
    with pytest.raises(RecursionError):
        jsontext.loads("[" * 100_000 + "]" * 100_000)


def test_what_msgspec_cannot_write_json_writes() -> None:
    assert jsontext.dumps({"k": "\ud800"}) == '{"k": "\ud800"}'  # json's layout: its text
    assert jsontext.dumps({"when": {1, 2}.__class__}) == '{"when":"<class \'set\'>"}'
    assert jsontext.dumps([math.inf, -math.inf]) == "[null,null]"
