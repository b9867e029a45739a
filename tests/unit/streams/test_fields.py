"""Standard fields on the lead's profile, and typed custom field values."""

from __future__ import annotations

import pytest

from streams.fields import (
    FIELD_TYPES,
    STANDARD_FIELDS,
    FieldValueError,
    convert,
    profile_of,
    typed,
)


def test_standard_fields_are_normalised_and_others_left_to_templates() -> None:
    profile, errors = profile_of(
        {
            "email": " Ana.Souza@Loja.COM.br ",
            "document": "123.456.789-09",
            "city": " São Paulo ",
            "zip_code": 1310100,
            "product": "Curso",  # a mapping field, not a standard one
            "state": None,  # absent
            "country": "  ",  # blank
        }
    )
    assert profile == {
        "email": "ana.souza@loja.com.br",
        "document": "12345678909",
        "city": "São Paulo",
        "zip_code": "1310100",
    }
    assert errors == []


def test_a_cnpj_is_kept_as_digits_and_a_foreign_id_as_written() -> None:
    assert profile_of({"document": "12.345.678/0001-95"})[0] == {"document": "12345678000195"}
    assert profile_of({"document": "DE 123456789"})[0] == {"document": "DE 123456789"}


def test_values_that_cannot_be_stored_are_reported_not_dropped() -> None:
    profile, errors = profile_of({"email": "ana-at-loja", "city": {"name": "Recife"}})
    assert profile == {}
    assert errors == [
        'email "ana-at-loja" not stored on the lead: not an e-mail address',
        'city {"name": "Recife"} not stored on the lead: not a single value (got an object)',
    ]


def test_the_standard_list_is_the_documented_one() -> None:
    assert list(STANDARD_FIELDS) == ["email", "document", "city", "state", "country", "zip_code"]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("12", "12"),
        ("12.50", "12.5"),
        ("12,5", "12.5"),
        ("R$ 1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("-0.0", "0"),
        ("1e3", "1000"),
        (" 7 ", "7"),
    ],
)
def test_numbers(value: str, stored: str) -> None:
    assert convert(value, "number") == stored


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2026-03-01", "2026-03-01"),
        ("01/03/2026", "2026-03-01"),
        ("1/3/2026", "2026-03-01"),
        ("2026-03-01T23:30:00-03:00", "2026-03-01"),
        ("2026-03-01T10:00:00Z", "2026-03-01"),
        ("1772323200", "2026-03-01"),
        ("1772323200000", "2026-03-01"),
    ],
)
def test_dates(value: str, stored: str) -> None:
    assert convert(value, "date") == stored


@pytest.mark.parametrize(
    ("value", "stored"),
    [("true", "true"), ("Sim", "true"), ("1", "true"), ("não", "false"), ("FALSE", "false")],
)
def test_booleans(value: str, stored: str) -> None:
    assert convert(value, "boolean") == stored


@pytest.mark.parametrize(
    ("value", "field_type", "reason"),
    [
        ("abc", "number", "not a number"),
        ("NaN", "number", "not a number"),
        ("12/2026", "date", "not a date"),
        ("31/02/2026", "date", "not a date (day is out of range"),
        ("talvez", "boolean", "not a boolean"),
    ],
)
def test_values_that_do_not_fit_their_type_say_why(
    value: str, field_type: str, reason: str
) -> None:
    with pytest.raises(FieldValueError) as exc:
        convert(value, field_type)
    assert str(exc.value).startswith(reason)


def test_empty_clears_whatever_the_type_and_text_is_kept_as_written() -> None:
    assert {convert("", t) for t in FIELD_TYPES} == {""}
    assert convert("  ", "number") == ""
    assert convert(" Curso de Python ", "text") == " Curso de Python "


def test_conversion_is_idempotent() -> None:
    for value, field_type in [
        ("R$ 1.234,56", "number"),
        ("01/03/2026", "date"),
        ("sim", "boolean"),
    ]:
        once = convert(value, field_type)
        assert convert(once, field_type) == once


def test_stored_values_are_shown_typed() -> None:
    assert typed("1234.56", "number") == 1234.56
    assert typed("10", "number") == 10 and isinstance(typed("10", "number"), int)
    assert typed("true", "boolean") is True and typed("false", "boolean") is False
    assert typed("2026-03-01", "date") == "2026-03-01"
    assert typed("12", "text") == "12"
    # Stored as text before the field's type changed, and not a number: shown as stored.
    assert typed("doze", "number") == "doze"
    assert typed("", "number") == ""
