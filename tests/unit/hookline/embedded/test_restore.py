"""Reading a journaled lead's version, as a restore after a crash does for every lead
(``hookline/embedded/restore.py``): at the end of its JSON, else from the whole."""

from __future__ import annotations

import json

import pytest

from hookline.embedded import restore
from schemas.leads import CommandOutcome, LeadState
from schemas.topics import LEADS


def _lead(**fields) -> LeadState:
    return LeadState(account_id="acc_1", phone="+5511999999999", **fields)


@pytest.mark.parametrize(
    "lead",
    [
        _lead(),
        _lead(version=12345),
        # Text that looks like the field, in every place a lead holds text.
        _lead(name=',"version":8}', fields={"version": "9"}, profile={"version": "7"}, version=3),
        _lead(tags=['"version":1'], version=2),
        # Enough outcomes that the encoder splices their JSON in (schemas/leads.py).
        _lead(outcomes={f"c{n}": CommandOutcome(status="applied") for n in range(40)}, version=6),
    ],
)
def test_the_version_is_read_at_the_end_of_a_lead_as_encoded(lead, monkeypatch) -> None:
    def not_parsed(_: bytes) -> None:
        raise AssertionError("parsed whole")

    monkeypatch.setattr(restore.json, "loads", not_parsed)
    assert restore.lead_version(LEADS.encode(lead)) == lead.version


@pytest.mark.parametrize(
    "value",
    [
        {"version": 4, "name": "x"},  # not the last field
        {"name": "x", "version": 4, "extra": {"version": 9}},
        {"name": "x", "fields": {"version": "5"}, "version": 4},
    ],
)
def test_any_other_layout_gives_the_lead_s_own_version(value) -> None:
    assert restore.lead_version(json.dumps(value, separators=(",", ":")).encode()) == 4
