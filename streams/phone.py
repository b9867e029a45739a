"""Phone normalisation to E.164, the form WhatsApp and the lead store key on.

Rules, in order (``region`` is the integration's default region, BR unless set):

1. Input must be a ``str`` or an ``int`` (an integral ``float`` is accepted as
   an int; ``bool``, ``None``, lists and dicts are errors). Spaces, dashes,
   dots, slashes and parentheses are ignored; a space is any Unicode whitespace (a
   tab, a line break, a thin or narrow no-break space from a copied number).
2. ``+`` starts an international number and is kept as is: ``+14133881111``.
3. ``00`` is read as the international prefix: ``0055 11 99999-9999`` ->
   ``+5511999999999``. Brazil dials abroad as ``00`` + carrier code + country
   (``0021 1 413...``), so when ``+`` + rest is not a valid number but the
   region's own reading is, the region's reading wins.
4. Digits only, starting with the region's country code and longer than any
   national number of the region, but of a national length once the code is
   removed: already international without the ``+``. For BR that is 12-13
   digits starting with ``55`` (``5511999999999`` -> ``+5511999999999``); 10-11
   digits starting with 55 stay national, since 55 is also an area code (RS).
5. Anything else is a national number of ``region``: the country code is
   added (``99999999900`` -> ``+5599999999900``) and a leading trunk ``0`` is
   dropped (``011999999999`` -> ``+5511999999999``).
6. The result must be a *possible* number (phonenumbers.is_possible_number
   with reason: too short, too long, invalid length, invalid country code).
   We are stricter in one way: a number whose length fits only a local number
   (no area code, e.g. a BR mobile written ``99999-9999``) and which is not a
   valid number is refused, because a wrong area code would silently reach
   someone else. Validity against assigned ranges is *not* required: test
   numbers and new ranges must pass.

A phone containing letters is refused ("has letters"): no vanity-letter conversion,
ever (``555-555-BILL`` and ``(11) 9ABCD-1234`` are errors, not keypad digits), since a
guessed digit reaches somebody else. Two spellings are not letters: an extension
(``ext. 123``, ``x123``, ``ramal 12``; dropped from the E.164 form, ``raw`` keeps the
input) and a channel prefix, ``whatsapp:+5511...`` (Twilio's WhatsApp addresses) or
``tel:``/``sms:``. Nothing is dropped silently: a number we refuse comes back with
``error`` and its ``raw`` text.

A national number is read in the default region; when that reading is not a valid number
of the region but the same digits with a ``+`` are a valid number of another country
(``14155552671`` read in BR), the result keeps the region's reading and carries a
``warning`` naming the other country, so a person can check it.

The commonest numbers, plainly valid fixed-line and mobile numbers of Brazil written
without a prefix, are answered from phonenumbers' own metadata without parsing
(:func:`_valid_at_once`): the same answers, a test compares every area code's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, ValidationResult

_SEPARATORS = re.compile(r"[\s\-./()\u2010-\u2015]")
#: Any Unicode whitespace. phonenumbers reads only a few spaces as punctuation and calls
#: a number with a tab, a line break or a thin space in it "not a number"; a person
#: reading the form sees a space, so :func:`_dial_text` makes each such run one.
_WHITESPACE = re.compile(r"\s+")
#: ``whatsapp:+55...`` (Twilio), ``tel:``/``sms:`` URIs: an address of a phone, not letters.
_SCHEME = re.compile(r"^(?:whatsapp|wa|tel|sms|callto)\s*:\s*", re.IGNORECASE)
#: A trailing extension: ``ext. 123``, ``extension 4``, ``x123``, ``ramal 12``, ``#12``.
_EXTENSION = re.compile(
    r"\s*(?:[,;]\s*)?(?:ext(?:ension)?\.?|x|ramal|r\.|#)\s*\d{1,6}\s*$", re.IGNORECASE
)
_LETTER = re.compile(r"[^\W\d_]")

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    NumberParseException.NOT_A_NUMBER: "not a number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "invalid length",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short: local number without area code",
}


@dataclass(frozen=True, slots=True)
class PhoneResult:
    #: ``+`` and digits, or None when the input was refused.
    e164: str | None
    #: The input as text (stripped), kept for history and dead letters.
    raw: str | None
    error: str | None = None
    #: Set when the number was accepted but may be wrong: a national reading in the default
    #: region of digits that look like another country's international number.
    warning: str | None = None


class _Refused(Exception):
    pass


#: ITU-T E.164: a number has at most 15 digits, country code included (phonenumbers
#: calls some longer ones possible).
E164_MAX_DIGITS = 15


#: Phones normalised lately, by input and region. One buyer's webhooks come close
#: together (a cart, a billet, the purchase approved), and a normalisation costs about
#: 25 µs: phonenumbers is pure Python. A result is immutable, so it is shared.
PHONES_REMEMBERED = 4096
#: Longer inputs are not remembered (they are no phone; a cache must not keep them).
REMEMBERED_INPUT_LENGTH = 64


def normalise_phone(raw: Any, region: str = "BR") -> PhoneResult:
    """Normalise ``raw`` to E.164 using ``region`` for national numbers. Never raises."""
    kind = type(raw)
    if (kind is str and len(raw) <= REMEMBERED_INPUT_LENGTH) or (
        kind is int and raw.bit_length() <= 64
    ):
        return _remembered(raw, region)
    return _normalise(raw, region)


@lru_cache(maxsize=PHONES_REMEMBERED, typed=True)  # typed: never 1 for "1"
def _remembered(raw: str | int, region: str) -> PhoneResult:
    return _normalise(raw, region)


def forget_phones() -> None:
    """Forget the remembered results: what a benchmark of new phones starts from."""
    _remembered.cache_clear()


def _normalise(raw: Any, region: str) -> PhoneResult:
    text = _as_text(raw)
    region = (region or "BR").upper()
    try:
        _check_type(raw)
        dialled = _dial_text(text or "")
        if (e164 := _valid_at_once(dialled, region)) is not None:
            return PhoneResult(e164, text)
        number = _parse(dialled, region)
        _check_possible(number)
    except _Refused as exc:
        return PhoneResult(None, text, str(exc))
    except NumberParseException as exc:
        return PhoneResult(None, text, _PARSE_REASONS.get(exc.error_type, "not a number"))
    except Exception as exc:  # phonenumbers on hostile input: report, never crash
        return PhoneResult(None, text, f"not a number ({type(exc).__name__})")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(e164) - 1 > E164_MAX_DIGITS:
        return PhoneResult(None, text, f"longer than E.164 allows ({E164_MAX_DIGITS} digits)")
    return PhoneResult(e164, text, None, _foreign_warning(dialled, number, region))


#: Regions whose plainly valid numbers skip phonenumbers (:func:`_valid_at_once`). A
#: region joins only with its test: ``tests/unit/streams/test_phone_at_once.py`` compares
#: every reading of every area code of the regions here with phonenumbers' answer.
AT_ONCE_REGIONS = frozenset({"BR"})


def _valid_at_once(dialled: str, region: str) -> str | None:
    """The E.164 form of ``dialled`` (what :func:`_dial_text` left) when it is plainly a
    valid fixed-line or mobile number of one of :data:`AT_ONCE_REGIONS`: ASCII digits and
    separators, with ``+`` and the country code, with the country code alone (rule 4) or
    national, the area code in it and no trunk prefix. phonenumbers gives the same
    answer for those (valid, so possible and without a warning) in about ten times the
    time: 15 µs to parse, 4 to validate. None: ask phonenumbers."""
    if region not in AT_ONCE_REGIONS:
        return None
    digits = _without_separators(dialled)
    code, valid = _region_numbers(region)
    if digits.startswith("+"):
        national = digits[1 + len(code) :] if digits.startswith(code, 1) else ""
    elif _plain_digits(digits) and _international_without_plus(digits, region):
        national = digits[len(code) :]
    else:
        national = digits
    if not _plain_digits(national) or not valid(national):
        return None
    return f"+{code}{national}"


@cache  # one per region of AT_ONCE_REGIONS: metadata never changes in a process
def _region_numbers(region: str) -> tuple[str, Callable[[str], bool]]:
    """The region's country code, and a test that a national number is a valid
    fixed-line or mobile number as phonenumbers tests it (the general description,
    then the kind's), from which its parsing would not strip a trunk prefix."""
    meta = PhoneMetadata.metadata_for_region(region)
    trunk = re.compile(meta.national_prefix_for_parsing or "(?!)")
    general = _described(meta.general_desc)
    kinds = [_described(desc) for desc in (meta.fixed_line, meta.mobile) if desc is not None]

    def valid(national: str) -> bool:
        return (
            trunk.match(national) is None
            and general(national)
            and any(kind(national) for kind in kinds)
        )

    return str(meta.country_code), valid


def _described(desc: Any) -> Callable[[str], bool]:
    """phonenumbers' test of a national number against a description: one of its
    lengths, when it lists any, and its whole pattern."""
    lengths = frozenset(desc.possible_length or ())
    pattern = re.compile(desc.national_number_pattern or "")
    return lambda national: (
        (not lengths or len(national) in lengths) and bool(pattern.fullmatch(national))
    )


def _plain_digits(text: str) -> bool:
    """ASCII digits only (most phones): no prefix, extension, letter or separator in it."""
    return text.isascii() and text.isdigit()


def _without_separators(dialled: str) -> str:
    """What :func:`_dial_text` left without its separators (its whitespace is plain
    spaces by then, which phonenumbers also reads as punctuation)."""
    return dialled if _plain_digits(dialled) else _SEPARATORS.sub("", dialled)


def _dial_text(text: str) -> str:
    """The number without a channel prefix or an extension, its whitespace plain spaces;
    letters left are refused."""
    if _plain_digits(text):
        return text
    text = _SCHEME.sub("", _WHITESPACE.sub(" ", text.strip()))
    text = _EXTENSION.sub("", text)
    if _LETTER.search(text):
        raise _Refused("has letters (not a phone number; vanity letters are never converted)")
    return text


def _foreign_warning(dialled: str, number: PhoneNumber, region: str) -> str | None:
    """A warning when a national reading in ``region`` is not valid there, but the digits
    as an international number are valid in another country (``dialled``: the text
    :func:`_dial_text` left)."""
    digits = _without_separators(dialled)
    if not digits.isdigit() or phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) != region:
        return None
    try:
        other = phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return None
    other_region = phonenumbers.region_code_for_number(other)
    if other_region in (None, region, "ZZ") or not phonenumbers.is_valid_number(other):
        return None
    e164 = phonenumbers.format_number(other, phonenumbers.PhoneNumberFormat.E164)
    return (
        f"read as a national number of {region}, where it is not a valid number; "
        f"it looks like {e164} ({other_region}): check the default region"
    )


def _check_type(raw: Any) -> None:
    if raw is None:
        raise _Refused("empty")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Refused(f"not a number (got {type(raw).__name__})")
    if isinstance(raw, float) and not raw.is_integer():
        raise _Refused("not a number (got a fraction)")
    if not isinstance(raw, str) and raw < 0:
        raise _Refused("not a number (negative)")
    if isinstance(raw, int) and raw.bit_length() > 256:
        raise _Refused("too long")


def _as_text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, int) and raw.bit_length() > 256:
        return None  # str() of a huge int is slow, or refused past 4300 digits
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _parse(text: str, region: str) -> PhoneNumber:
    digits = _without_separators(text)
    if not digits:
        raise _Refused("empty")
    if digits.startswith("+"):
        return phonenumbers.parse(text, region)
    if digits.startswith("00"):
        return _best(("+" + digits[2:], None), (text, region))
    if digits.isdigit() and _international_without_plus(digits, region):
        return phonenumbers.parse("+" + digits, None)
    return phonenumbers.parse(text, region)


def _best(*candidates: tuple[str, str | None]) -> PhoneNumber:
    """First valid reading, else first possible one, else the first reading's error."""
    parsed: list[PhoneNumber] = []
    first_error: NumberParseException | None = None
    for text, region in candidates:
        try:
            parsed.append(phonenumbers.parse(text, region))
        except NumberParseException as exc:
            first_error = first_error or exc
    for test in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for number in parsed:
            if test(number):
                return number
    if parsed:
        return parsed[0]
    raise first_error or _Refused("not a number")


def _international_without_plus(digits: str, region: str) -> bool:
    code, national = _country_code_and_lengths(region)
    if not code:
        return False
    return (
        digits.startswith(code)
        and len(digits) > max(national, default=0)
        and len(digits) - len(code) in national
    )


@lru_cache(maxsize=512)  # one per region: metadata never changes in a process
def _country_code_and_lengths(region: str) -> tuple[str, frozenset[int]]:
    """The region's country code ("" when it has none) and its national numbers' lengths."""
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or not meta.country_code:
        return "", frozenset()
    return str(meta.country_code), frozenset(_national_lengths(meta))


def _national_lengths(meta: PhoneMetadata) -> set[int]:
    lengths = set(meta.general_desc.possible_length or ())
    for desc in (meta.fixed_line, meta.mobile):
        if desc is not None and desc.possible_length:
            lengths.update(desc.possible_length)
    return lengths


def _check_possible(number: PhoneNumber) -> None:
    result = phonenumbers.is_possible_number_with_reason(number)
    if result != ValidationResult.IS_POSSIBLE:
        raise _Refused(_POSSIBLE_REASONS.get(result, "not a possible number"))
    if _local_only_length(number) and not phonenumbers.is_valid_number(number):
        raise _Refused(_POSSIBLE_REASONS[ValidationResult.IS_POSSIBLE_LOCAL_ONLY])


def _local_only_length(number: PhoneNumber) -> bool:
    local_only = _local_only_lengths(number.country_code)
    return bool(local_only) and (
        len(phonenumbers.national_significant_number(number)) in local_only
    )


@cache  # one per country code (at most 999): metadata never changes in a process
def _local_only_lengths(country_code: int | None) -> frozenset[int]:
    """The lengths of the country's numbers that fit only a local number (no area code)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        return frozenset()
    local: set[int] = set()
    full: set[int] = set()
    for desc in (meta.fixed_line, meta.mobile):
        if desc is not None:
            local.update(desc.possible_length_local_only or ())
            full.update(desc.possible_length or ())
    return frozenset(local - full)
