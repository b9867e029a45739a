"""The plainly valid numbers of ``AT_ONCE_REGIONS`` skip phonenumbers: for every area
code, every length and first digits, in every way a platform writes them, the answer is
phonenumbers' own (the slow path's, with no region skipping it)."""

from __future__ import annotations

import random
import sys

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams import phone
from streams.phone import AT_ONCE_REGIONS, _normalise, _valid_at_once


def _nationals(rng: random.Random) -> list[str]:
    """Every two-digit area code, with a subscriber of 8 digits (each first digit) and
    of 9 (each two first digits), the rest at random."""
    numbers = []
    for area in range(10, 100):
        for first in range(10):
            numbers.append(f"{area}{first}{rng.randrange(10**7):07d}")
        for first in range(100):
            numbers.append(f"{area}{first:02d}{rng.randrange(10**7):07d}")
    return numbers


def _is_valid(e164: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))


def _spellings(national: str, code: str) -> list[str | int]:
    """How platforms write a number, the two with a prefix (trunk, international) last:
    those are never answered at once."""
    area, rest = national[:2], national[2:]
    return [
        national,
        f"+{code}{national}",
        f"{code}{national}",
        f"({area}) {rest[:-4]}-{rest[-4:]}",
        f"+{code} {area} {rest[:-4]} {rest[-4:]}",
        f"{code}.{area}.{rest}",
        int(f"{code}{national}"),
        f"0{national}",
        f"00{code}{national}",
    ]


PREFIXED = 2
#: Every character the slow path drops as a separator.
SEPARATORS = [chr(c) for c in range(sys.maxunicode + 1) if phone._SEPARATORS.match(chr(c))]


@pytest.mark.parametrize("region", sorted(AT_ONCE_REGIONS))
def test_every_reading_matches_phonenumbers(region: str, monkeypatch) -> None:
    code, _ = phone._region_numbers(region)
    inputs = [s for n in _nationals(random.Random(55)) for s in _spellings(n, code)]
    at_once = [_normalise(raw, region) for raw in inputs]
    monkeypatch.setattr(phone, "AT_ONCE_REGIONS", frozenset())
    slow = [_normalise(raw, region) for raw in inputs]
    assert [(raw, a) for raw, a, s in zip(inputs, at_once, slow, strict=True) if a != s] == []
    # Not a comparison of two slow paths: the valid numbers written without a prefix are
    # answered at once, but for the few of other kinds (toll-free, shared cost).
    monkeypatch.setattr(phone, "AT_ONCE_REGIONS", frozenset({region}))
    per_number = len(_spellings("1100000000", code))
    unprefixed = [
        (raw, result)
        for index, (raw, result) in enumerate(zip(inputs, slow, strict=True))
        if index % per_number < per_number - PREFIXED
    ]
    valid = [raw for raw, r in unprefixed if r.e164 and _is_valid(r.e164)]
    skipped = [raw for raw in valid if _valid_at_once(str(raw), region) is not None]
    assert len(skipped) > 0.99 * len(valid) > 0


@pytest.mark.parametrize("region", sorted(AT_ONCE_REGIONS))
def test_every_separator_is_read_as_phonenumbers_reads_it(region: str, monkeypatch) -> None:
    """Every character the slow path drops as a separator, in every place, gets the
    slow path's answer (every Unicode space included: a plain space by then)."""
    code, _ = phone._region_numbers(region)
    inputs = [
        spelling
        for s in SEPARATORS
        for spelling in (
            f"11{s}99999{s}8888",
            f"+{code}{s}11{s}999998888",
            f"({s}11) 3333-4444",
            f"{s}11999998888{s}",
            f"{code}{s}11999998888",
        )
    ]
    at_once = [_normalise(raw, region) for raw in inputs]
    monkeypatch.setattr(phone, "AT_ONCE_REGIONS", frozenset())
    slow = [_normalise(raw, region) for raw in inputs]
    assert [(raw, a) for raw, a, s in zip(inputs, at_once, slow, strict=True) if a != s] == []
    assert len(SEPARATORS) > 30


#: What a fuzzed phone is made of: digits, the prefixes, every separator, letters,
#: extensions and schemes, digits past ASCII.
_PIECES = [
    *"0123456789",
    *"+#x",
    *SEPARATORS,
    *("00", "55", "+55", "11", "9", "ext", "ramal", "whatsapp:", "tel:", "\u0661", "\uff11"),
]


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=16).map("".join))
def test_any_text_gets_phonenumbers_answer(text: str) -> None:
    region = "BR"
    at_once = _normalise(text, region)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(phone, "AT_ONCE_REGIONS", frozenset())
        assert _normalise(text, region) == at_once


def test_other_regions_and_doubtful_numbers_ask_phonenumbers() -> None:
    assert _valid_at_once("4155552671", "US") is None  # not a region of AT_ONCE_REGIONS
    assert _valid_at_once("+14155552671", "BR") is None  # another country's number
    assert _valid_at_once("011999998888", "BR") is None  # a trunk prefix
    assert _valid_at_once("5520999998888", "BR") is None  # no area code 20: not valid
    assert _valid_at_once("\uff11\uff11" + "9" * 9, "BR") is None  # digits past ASCII
    assert _valid_at_once("11 99999-8888", "BR") == "+5511999998888"
