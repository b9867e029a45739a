import codecs
import dataclasses
import json

import pytest

import core.body
from core.body import ParsedBody, parse_body, parsed_once

FORM = "application/x-www-form-urlencoded"


def multipart(boundary: str, *parts: tuple[str, bytes]) -> bytes:
    """Build a multipart/form-data body from (headers, content) pairs, CRLF as on the wire."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


# --- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{"a": 1}, [1, "x"], "text", 42, 1.5, True, None])
def test_json_of_any_top_level_type(value):
    parsed = parse_body(json.dumps(value).encode(), "application/json")
    assert (parsed.format, parsed.data, parsed.error) == ("json", value, None)


def test_json_big_ints_stay_ints():
    # Shopify ids exceed 2**53: they must not become floats.
    parsed = parse_body(b'{"id": 820982911946154508}', "application/json; charset=utf-8")
    assert parsed.data["id"] == 820982911946154508
    assert isinstance(parsed.data["id"], int)


@pytest.mark.parametrize("ctype", ["application/vnd.api+json", "text/json", "APPLICATION/JSON"])
def test_json_content_type_variants(ctype):
    assert parse_body(b'{"a": 1}', ctype).format == "json"


def test_invalid_json_is_kept_as_text_with_where_it_breaks():
    parsed = parse_body(b'{"id": "1"\n "x": 2,}', "application/json")
    assert parsed.format == "text" and parsed.broken
    assert parsed.data == parsed.text == '{"id": "1"\n "x": 2,}'
    assert parsed.error == "invalid JSON at byte 12 (line 2, column 2): Expecting ',' delimiter"


@pytest.mark.parametrize(
    ("raw", "ctype", "byte", "there"),
    [
        # the byte counts the body as sent: "ã" is two bytes in UTF-8, one in latin-1
        ('{"nome": "São" "x": 1}'.encode(), "application/json", 16, b'"x"'),
        (
            '{"nome": "São" "x": 1}'.encode("latin-1"),
            "application/json; charset=latin-1",
            15,
            b'"x"',
        ),
        # a BOM is part of the body: three bytes before the first character
        (codecs.BOM_UTF8 + b'{"a": }', "application/json", 9, b"}"),
        # UTF-16: two bytes a character, after a two-byte BOM
        (codecs.BOM_UTF16_LE + '{"a": }'.encode("utf-16-le"), "application/json", 14, b"}\0"),
        (b"[1, 2", "application/json", 5, b""),  # cut short: the byte after the last
    ],
)
def test_invalid_json_names_the_byte_where_it_breaks(raw, ctype, byte, there):
    parsed = parse_body(raw, ctype)
    assert parsed.broken
    assert parsed.error.startswith(f"invalid JSON at byte {byte} (line 1, column ")
    assert raw[byte:].startswith(there)


def test_nan_and_infinity_are_not_json():
    parsed = parse_body(b'{"a": NaN}', "application/json")
    assert parsed.format == "text" and parsed.broken
    assert parsed.error == "invalid JSON: NaN is not valid JSON"


def test_only_a_declared_format_can_be_broken():
    # Declared JSON but a form: the Content-Type is wrong, the body is fine.
    assert not parse_body(b"a=1&b=2", "application/json").broken
    # Nothing declared, or text: not JSON is no surprise.
    for ctype in (None, "text/plain", "application/xml"):
        parsed = parse_body(b'{"a": ', ctype)
        assert parsed.error and not parsed.broken
        assert not parsed.error.startswith("invalid JSON")


def test_absurdly_deep_json_does_not_crash():
    parsed = parse_body(b"[" * 200_000 + b"]" * 200_000, "application/json")
    assert parsed.format in ("json", "text")


def test_json_in_a_declared_charset():
    raw = '{"name": "São João"}'.encode("utf-16-le")
    parsed = parse_body(raw, "application/json; charset=UTF-16LE")
    assert parsed.data == {"name": "São João"}


def test_json_with_invalid_utf8_falls_back_to_latin1():
    parsed = parse_body(b'{"name": "S\xe3o Jo\xe3o"}', "application/json")
    assert parsed.data == {"name": "São João"}


@pytest.mark.parametrize("charset", ["rot13", "no-such-charset", "base64", "", '"'])
def test_unusable_declared_charset_falls_back(charset):
    parsed = parse_body('{"n": "ção"}'.encode(), f"application/json; charset={charset}")
    assert parsed.data == {"n": "ção"}


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_bom_is_stripped_and_wins_over_declared_charset(bom, encoding):
    raw = bom + '{"name": "José"}'.encode(encoding)
    parsed = parse_body(raw, "application/json; charset=iso-8859-1")
    assert parsed.data == {"name": "José"}
    assert not parsed.text.startswith("\ufeff")


# --- forms ------------------------------------------------------------------------------------


def test_form_keys_are_verbatim_and_values_decoded():
    raw = b"contact%5Bemail%5D=a%40b.com&contact[phone]=%2B5511999999999&name=Jo%C3%A3o+Silva"
    parsed = parse_body(raw, FORM)
    assert parsed.format == "form"
    assert parsed.data == {
        "contact[email]": "a@b.com",
        "contact[phone]": "+5511999999999",
        "name": "João Silva",
    }


def test_form_repeated_keys_become_lists_and_blanks_are_kept():
    parsed = parse_body(b"tag=a&tag=b&tag=c&empty=&flag", FORM)
    assert parsed.data == {"tag": ["a", "b", "c"], "empty": "", "flag": ""}


def test_latin1_form_with_declared_charset():
    parsed = parse_body(b"nome=S%E3o+Jo%E3o&cidade=Bras\xedlia", f"{FORM}; charset=ISO-8859-1")
    assert parsed.data == {"nome": "São João", "cidade": "Brasília"}


def test_latin1_form_without_charset_falls_back():
    parsed = parse_body(b"nome=S%E3o+Jo%E3o", FORM)
    assert parsed.data == {"nome": "São João"}


def test_declared_form_carrying_json_is_json():
    assert parse_body(b'{"a": [1]}', FORM).data == {"a": [1]}


def test_declared_json_carrying_a_form_is_sniffed_as_form():
    parsed = parse_body(b"a=1&b=2", "application/json")
    assert (parsed.format, parsed.data) == ("form", {"a": "1", "b": "2"})


# --- multipart ---------------------------------------------------------------------------------


def test_multipart_text_and_file_parts():
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    raw = multipart(
        boundary,
        ('Content-Disposition: form-data; name="contact[name]"', "Zé Ninguém 🙂".encode()),
        ('Content-Disposition: form-data; name="tag"', b"a"),
        ('Content-Disposition: form-data; name="tag"', b"b"),
        (
            'Content-Disposition: form-data; name="doc"; filename="nota.pdf"\r\n'
            "Content-Type: application/pdf",
            b"%PDF-1.4\x00\x01\x02",
        ),
        ('Content-Disposition: form-data; name="blank"', b""),
    )
    parsed = parse_body(raw, f"multipart/form-data; boundary={boundary}")
    assert parsed.format == "multipart"
    assert parsed.data == {
        "contact[name]": "Zé Ninguém 🙂",
        "tag": ["a", "b"],
        "doc": {"filename": "nota.pdf", "content_type": "application/pdf", "size": 11},
        "blank": "",
    }


def test_multipart_part_charset_and_utf8_field_names():
    raw = multipart(
        "xyz",
        (
            'Content-Disposition: form-data; name="cidade"\r\n'
            "Content-Type: text/plain; charset=latin-1",
            b"Bras\xedlia",
        ),
        ('Content-Disposition: form-data; name="ação"', b"sim"),
    )
    parsed = parse_body(raw, 'multipart/form-data; boundary="xyz"')
    assert parsed.data == {"cidade": "Brasília", "ação": "sim"}


@pytest.mark.parametrize(
    "ctype", ["multipart/form-data", "multipart/form-data; boundary=a\r\nX: y"]
)
def test_multipart_without_a_usable_boundary_is_reported(ctype):
    parsed = parse_body(b"--a\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--a--", ctype)
    assert parsed.format == "text" and parsed.broken
    assert parsed.error.startswith("unparseable as multipart:")


# --- everything else --------------------------------------------------------------------------


def test_xml_is_kept_as_text_with_reason():
    raw = b'<?xml version="1.0"?><order><id>1</id></order>'
    parsed = parse_body(raw, "application/xml")
    assert (parsed.format, parsed.data) == ("xml", raw.decode())
    assert parsed.error.startswith("unparseable as")


def test_plain_text_is_kept_with_reason():
    parsed = parse_body(b"hello there", "text/plain")
    assert (parsed.format, parsed.data) == ("text", "hello there")
    assert parsed.error.startswith("unparseable as")


def test_binary_is_raw():
    parsed = parse_body(bytes(range(256)), "application/octet-stream")
    assert (parsed.format, parsed.data) == ("raw", None)
    assert parsed.error
    assert parsed.text.encode("latin-1") == bytes(range(256))  # nothing lost


@pytest.mark.parametrize("ctype", [None, "", "text/plain", "application/octet-stream", "x/y"])
def test_missing_or_wrong_content_type_sniffs_json(ctype):
    parsed = parse_body(b'{"event": "PURCHASE_APPROVED"}', ctype)
    assert (parsed.format, parsed.data) == ("json", {"event": "PURCHASE_APPROVED"})


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/xml"])
def test_missing_or_wrong_content_type_sniffs_forms(ctype):
    parsed = parse_body(b"From=%2B14133881111&Body=Hi\n", ctype)
    assert (parsed.format, parsed.data) == ("form", {"From": "+14133881111", "Body": "Hi"})


def test_undeclared_text_that_is_not_form_shaped_stays_text():
    assert parse_body(b"a = b and c", None).format == "text"


@pytest.mark.parametrize("raw", [b"", b"   \r\n", codecs.BOM_UTF8])
@pytest.mark.parametrize("ctype", [None, "application/json", FORM])
def test_empty_bodies(raw, ctype):
    assert parse_body(raw, ctype) == ParsedBody("empty", None, "", None)


def test_parsed_body_is_frozen():
    parsed = parse_body(b"{}", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.format = "text"  # type: ignore[misc]


@pytest.mark.parametrize("raw", [bytearray(b'{"a": 1}'), memoryview(b'{"a": 1}')])
def test_bytes_like_input(raw):
    assert parse_body(raw, None).data == {"a": 1}


def test_parsed_once_parses_on_the_first_call_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []

    def counted(raw: bytes, content_type: str | None) -> ParsedBody:
        calls.append(raw)
        return parse_body(raw, content_type)

    monkeypatch.setattr(core.body, "parse_body", counted)
    unread = parsed_once(b'{"a": 1}', "application/json")
    assert calls == []  # no reader asked: no parse
    data = parsed_once(b'{"a": [1, 2]}', "application/json")
    assert data() == {"a": [1, 2]} and data() is data()  # the delivery id's and the key's
    assert calls == [b'{"a": [1, 2]}']
    empty = parsed_once(b"", "application/json")
    assert empty() is None and empty() is None and len(calls) == 2  # None is kept too
    del unread
