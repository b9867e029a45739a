"""Lead look-ups' pure parts: any spelling of a phone, the account's region, cursors."""

from __future__ import annotations

import pytest

from core.config.state import ConfigState, secret_hash
from hookline.api.call import ApiError
from hookline.api.leads import account_region, decode_cursor, encode_cursor, lead_phone
from schemas.config import Account, Integration, IntegrationMapping, UrlToken
from schemas.mapping import Mapping
from schemas.types import Plan


@pytest.mark.parametrize(
    "raw",
    [
        "+5511999990000",
        "5511999990000",
        " +5511999990000 ",
        "+55 11 99999-0000",
        "(11) 99999-0000",
        "11 99999 0000",
        "011 99999-0000",
        "0055 11 99999-0000",
        "whatsapp:+5511999990000",
    ],
)
def test_every_spelling_of_a_phone_names_one_lead(raw: str) -> None:
    assert lead_phone(raw) == "+5511999990000"


def test_a_national_number_is_read_in_the_given_region() -> None:
    assert lead_phone("(415) 555-2671", "US") == "+14155552671"
    assert lead_phone("+5511999990000", "US") == "+5511999990000"


@pytest.mark.parametrize("raw", ["", "abc", "99999-0000", "+0511988887777", "55 11 98888"])
def test_what_is_not_a_phone_is_422_with_the_reason(raw: str) -> None:
    with pytest.raises(ApiError) as exc:
        lead_phone(raw)
    assert exc.value.status == 422 and "is not a phone number (" in exc.value.message
    assert exc.value.details and exc.value.details[0].loc == "phone"


def _state(*regions: str) -> ConfigState:
    state = ConfigState()
    state.apply(
        "account:acc_1",
        Account(id="acc_1", name="A", plan=Plan.business, api_key_hash=secret_hash("k")),
    )
    for i, region in enumerate(regions):
        integration = Integration(
            id=f"int_{i}", account_id="acc_1", name="i", tokens=[UrlToken(hash=f"h{i}")]
        )
        mapping = IntegrationMapping(
            id=integration.id,
            account_id="acc_1",
            mapping=Mapping(event="e", name="n", phone="p", default_region=region),
        )
        state.apply(integration.key, integration)
        state.apply(mapping.key, mapping)
    return state


def test_the_accounts_region_is_the_one_most_of_its_mappings_use() -> None:
    assert account_region(_state(), "acc_1") == "BR"
    assert account_region(_state("US", "US", "BR"), "acc_1") == "US"
    assert account_region(_state("US", "BR"), "acc_1") == "BR"  # a tie: BR
    assert account_region(_state("US", "PT"), "acc_1") == "PT"  # a tie without BR: by name
    assert account_region(_state("US"), "acc_other") == "BR"


def test_cursors_round_trip_and_belong_to_their_query() -> None:
    cursor = encode_cursor({"q": "abc", "after": "+5511999990000"})
    assert "+" not in cursor and "=" not in cursor
    assert decode_cursor(cursor, "abc") == {"q": "abc", "after": "+5511999990000"}
    with pytest.raises(ApiError) as exc:
        decode_cursor(cursor, "other filters")
    assert exc.value.status == 422 and "another query" in exc.value.message
    for bad in ("", "not base64!", encode_cursor({"x": 1})[:-2] + "@@", "W10"):
        with pytest.raises(ApiError) as exc:
            decode_cursor(bad, "abc")
        assert exc.value.status == 422 and exc.value.details[0].loc == "cursor"
