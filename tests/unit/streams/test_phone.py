import dataclasses
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import phone
from streams.phone import PhoneResult, normalise_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        # National BR numbers get +55 (Hotmart's checkout_phone has no country code).
        ("99999999900", "+5599999999900"),
        ("11999999999", "+5511999999999"),
        ("(11) 99999-9999", "+5511999999999"),
        ("11 3222.1111", "+551132221111"),
        # DDD 55 (Rio Grande do Sul): 10-11 digits starting with 55 stay national.
        ("55999998888", "+5555999998888"),
        ("5532221111", "+555532221111"),
        # Trunk prefix 0 before the area code.
        ("011999999999", "+5511999999999"),
        ("0 11 99999-9999", "+5511999999999"),
        # Already international: with +, with 00, or 12-13 digits starting with 55.
        ("+14133881111", "+14133881111"),
        ("+55 (11) 99999-9999", "+5511999999999"),
        ("00 1 413 388 1111", "+14133881111"),
        ("0055 11 99999 9999", "+5511999999999"),
        ("5511999999999", "+5511999999999"),
        ("551132221111", "+551132221111"),
        ("555532221111", "+555532221111"),
        # Brazil's 00 + carrier code + country: the region's own reading wins.
        ("0021 1 413 388 1111", "+14133881111"),
        # ints (JSON numbers) and integral floats.
        (5511999999999, "+5511999999999"),
        (11999999999, "+5511999999999"),
        (5511999999999.0, "+5511999999999"),
        # Whitespace, unicode dashes, non-breaking spaces, tel: URIs.
        ("  +55\u00a011\u201399999\u20139999 ", "+5511999999999"),
        ("tel:+55-11-99999-9999", "+5511999999999"),
        # Nationwide BR numbers without area code that *are* valid.
        ("4004-0001", "+5540040001"),
        ("0800 123 4567", "+558001234567"),
        # Extensions are not part of E.164.
        ("+55 11 99999-9999 ext. 123", "+5511999999999"),
    ],
)
def test_normalises_to_e164(raw, e164):
    assert normalise_phone(raw, "BR") == PhoneResult(e164, _text(raw), None)


def _text(raw):
    return str(int(raw)) if isinstance(raw, float) else str(raw).strip()


#: Every character Python calls whitespace: tabs, line breaks and every Unicode space.
WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


@pytest.mark.parametrize(
    ("spaced", "region", "e164"),
    [
        ("11{s}99999-8888", "BR", "+5511999998888"),
        ("+55{s}11{s}3333{s}4444", "BR", "+551133334444"),
        ("(11){s}99999{s}8888", "BR", "+5511999998888"),
        ("+1{s}415{s}555{s}2671", "BR", "+14155552671"),
        ("020{s}7946{s}0958", "GB", "+442079460958"),
    ],
)
def test_any_unicode_whitespace_is_a_space(spaced, region, e164):
    """Rule 1: a tab, a line break, a thin or a narrow no-break space (a number copied
    from a document or a chat) is a space, never "not a number"."""
    assert len(WHITESPACE) > 20
    for s in WHITESPACE:
        raw = spaced.format(s=s)
        assert normalise_phone(raw, region) == PhoneResult(e164, raw), repr(s)


def test_whitespace_never_joins_two_numbers():
    """Two numbers on two lines are no longer one than with a space between them."""
    assert normalise_phone("11 98765-4321\n21 99999-8888").error == "too long"


def test_default_region_is_br():
    assert normalise_phone("11999999999").e164 == "+5511999999999"


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(413) 388-1111", "US", "+14133881111"),
        ("14133881111", "US", "+14133881111"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+5511999999999", "US", "+5511999999999"),
        ("11999999999", "br", "+5511999999999"),
    ],
)
def test_other_regions(raw, region, e164):
    assert normalise_phone(raw, region).e164 == e164


@pytest.mark.parametrize(
    ("raw", "region"),
    [("555-555-BILL", "US"), ("555-555-BILL", "BR"), ("(11) 9ABCD-1234", "BR"), ("abc", "BR")],
)
def test_letters_are_never_converted_to_keypad_digits(raw, region):
    # Shopify's test order has billing phone "555-555-BILL": an error, not +15555552455.
    result = normalise_phone(raw, region)
    assert result.e164 is None and result.error.startswith("has letters"), result
    assert result.raw == raw


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("whatsapp:+5511999999999", "+5511999999999"),  # Twilio's WhatsApp address
        ("WhatsApp: +55 11 99999-9999", "+5511999999999"),
        ("tel:+14133881111", "+14133881111"),
        ("(11) 99999-9999 ramal 12", "+5511999999999"),
        ("11 99999-9999 x12", "+5511999999999"),
    ],
)
def test_channel_prefixes_and_extensions_are_not_letters(raw, e164):
    result = normalise_phone(raw, "BR")
    assert (result.e164, result.error) == (e164, None)


def test_a_national_reading_that_looks_foreign_carries_a_warning():
    # 11 digits: as BR national DDD 14 + 155552671 (not a valid BR number); as +1 a valid US one.
    result = normalise_phone("14155552671", "BR")
    assert result.e164 == "+5514155552671" and result.error is None
    assert "+14155552671 (US)" in result.warning
    # A valid reading in the region carries none, nor does an explicit international one.
    assert normalise_phone("11999999999", "BR").warning is None
    assert normalise_phone("+14155552671", "BR").warning is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (" - ( ) ", "empty"),
        (None, "empty"),
        ("123", "too short"),
        ("1" * 40, "too long"),
        ("1" * 300, "too long"),
        ("+999 1234567", "invalid country code"),
        ("+0123", "invalid country code"),
        ("abc", "has letters (not a phone number; vanity letters are never converted)"),
        ("não informado", "has letters (not a phone number; vanity letters are never converted)"),
        ("+", "not a number"),
        # A BR mobile without its area code would get a wrong DDD: refused.
        ("99999-9999", "too short: local number without area code"),
        ("3222-1111", "too short: local number without area code"),
        (True, "not a number (got bool)"),
        ({"ddd": "11"}, "not a number (got dict)"),
        (["11999999999"], "not a number (got list)"),
        (5.5, "not a number (got a fraction)"),
        (float("nan"), "not a number (got a fraction)"),
        (-5511999999999, "not a number (negative)"),
        pytest.param(10**5000, "too long", id="huge-int"),
    ],
)
def test_refused_numbers_keep_raw_and_reason(raw, reason):
    result = normalise_phone(raw, "BR")
    assert result.e164 is None
    assert result.error == reason
    if isinstance(raw, str):
        assert result.raw == raw.strip()


def test_refused_unknown_region():
    assert normalise_phone("11999999999", "XX").error == "invalid country code"


def test_result_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        normalise_phone("11999999999").e164 = "x"  # type: ignore[misc]


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(alphabet="0123456789+-() .x#abc:", max_size=24),
        st.integers(min_value=0, max_value=10**16),
        st.text(max_size=80),
    ),
    st.sampled_from(["BR", "br", "US", "PT", "XX", ""]),
)
def test_a_remembered_result_is_the_one_computed(raw, region):
    first = normalise_phone(raw, region)
    assert normalise_phone(raw, region) == first == phone._normalise(raw, region)


def test_remembered_phones_are_bounded_and_long_inputs_not_kept():
    phone.forget_phones()
    for n in range(phone.PHONES_REMEMBERED + 50):
        normalise_phone(f"119{n:08d}")
    assert phone._remembered.cache_info().currsize == phone.PHONES_REMEMBERED
    phone.forget_phones()
    normalise_phone("1" * (phone.REMEMBERED_INPUT_LENGTH + 1))
    normalise_phone(10**30)
    assert phone._remembered.cache_info().currsize == 0


def test_an_int_is_not_remembered_as_its_text_nor_a_bool_as_an_int():
    phone.forget_phones()
    assert normalise_phone("11999999999").e164 == normalise_phone(11999999999).e164
    assert phone._remembered.cache_info().currsize == 2
    assert normalise_phone(1).error != normalise_phone(True).error
