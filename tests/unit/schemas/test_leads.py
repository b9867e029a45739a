"""Lead state as the executors keep it on ``hookline.leads``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import leads as leads_module
from schemas.leads import (
    _CONTAINERS,
    APPLIED_COMMANDS_KEPT,
    SPLICED_FROM,
    CommandOutcome,
    LeadState,
    lead_json,
)
from schemas.topics import LEADS


def test_leads_stored_before_profiles_existed_load_with_none() -> None:
    lead = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "name": "Ana", "tags": ["vip"],'
        ' "fields": {"produto": "Curso"}, "applied": ["c1"],'
        ' "updated_at": "2026-01-01T00:00:00Z", "version": 3}'
    )
    assert lead.profile == {} and lead.fields == {"produto": "Curso"}
    assert list(lead.outcomes) == ["c1"]
    copy = lead.editable_copy()
    copy.profile["email"] = "ana@loja.com"
    assert lead.profile == {}


def test_an_editable_copy_shares_no_list_or_dict_and_is_what_model_copy_made() -> None:
    lead = LeadState(
        account_id="acc_1",
        phone="+5511999990000",
        tags=["vip"],
        fields={"produto": "Curso"},
        outcomes={"c1": CommandOutcome(status="applied")},
        sending=["c2"],
    )
    copy = lead.editable_copy()
    containers = {k: v.copy() for k, v in lead.__dict__.items() if isinstance(v, list | dict)}
    assert set(containers) == set(_CONTAINERS)
    expected = lead.model_copy(update=containers)
    assert copy == expected and copy.model_fields_set == expected.model_fields_set
    for name in ("tags", "fields", "profile", "outcomes", "sending"):
        assert getattr(copy, name) is not getattr(lead, name), name
    copy.tags.append("x")
    copy.outcomes["c3"] = CommandOutcome(status="failed")
    assert lead.tags == ["vip"] and list(lead.outcomes) == ["c1"]


def test_outcomes_keep_the_latest_last_and_drop_the_oldest_beyond_the_bound() -> None:
    outcome = CommandOutcome(status="applied")
    lead = LeadState(
        account_id="acc_1",
        phone="+5511999990000",
        outcomes={f"c{i}": outcome for i in range(APPLIED_COMMANDS_KEPT)},
    )
    again = lead.with_outcome("c0", CommandOutcome(status="failed"))  # comes back: now last
    assert list(again) == [*(f"c{i}" for i in range(1, APPLIED_COMMANDS_KEPT)), "c0"]
    assert again["c0"].status == "failed"
    added = lead.with_outcome("new", outcome)
    assert list(added) == [*(f"c{i}" for i in range(1, APPLIED_COMMANDS_KEPT)), "new"]
    assert len(lead.outcomes) == APPLIED_COMMANDS_KEPT and "new" not in lead.outcomes
    small = LeadState(account_id="acc_1", phone="+5511999990000").with_outcome("a", outcome)
    assert small == {"a": outcome}


def test_the_applied_ids_of_older_leads_are_read_into_outcomes_and_never_written() -> None:
    old = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "applied": ["c1", "c2"]}'
    )
    assert list(old.outcomes) == ["c1", "c2"]
    assert {o.status for o in old.outcomes.values()} == {"applied"}
    written = old.model_dump_json()
    assert '"applied":' not in written and "legacy" not in written
    assert LeadState.model_validate_json(written) == old
    both = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "applied": ["c1"],'
        ' "outcomes": {"c9": {"status": "failed"}}}'
    )
    assert list(both.outcomes) == ["c9"]  # outcomes written beside the ids are the lead's


def test_no_validator_reshapes_a_leads_input() -> None:
    """A "before" (or "wrap") model validator has pydantic build a lead's whole JSON as
    Python objects and validate those: it made every decode take twice as long (a lead
    is decoded by the executor at each batch, by the history sink at each write)."""
    validators = LeadState.__pydantic_decorators__.model_validators.values()
    assert {v.info.mode for v in validators} == {"after"}


_TEXT = st.text(max_size=12)  # any character: quotes, backslashes, '"outcomes":{}', ...
_OUTCOME = st.builds(
    CommandOutcome,
    status=st.sampled_from(["applied", "failed", "unknown"]),
    detail=_TEXT,
    channel=_TEXT,
    reason=_TEXT,
)


@settings(max_examples=60, deadline=None)
@given(
    name=st.none() | _TEXT,
    tags=st.lists(st.sampled_from(['"outcomes":{}', "outcomes", "vip"]) | _TEXT, max_size=4),
    fields=st.dictionaries(st.sampled_from(["outcomes", '"outcomes":{}']) | _TEXT, _TEXT),
    outcomes=st.dictionaries(_TEXT, _OUTCOME, min_size=SPLICED_FROM, max_size=2 * SPLICED_FROM),
    sending=st.lists(_TEXT, max_size=2),
)
def test_a_lead_is_written_byte_for_byte_as_pydantic_writes_it(
    name, tags, fields, outcomes, sending
) -> None:
    lead = LeadState(
        account_id="acc_1",
        phone="+5511999990000",
        name=name,
        tags=tags,
        fields=fields,
        profile=fields,
        outcomes=outcomes,
        sending=sending,
    )
    for _ in range(2):  # the second time from the outcomes' JSON made the first
        assert lead_json(lead) == lead.model_dump_json().encode()


def test_an_outcomes_json_is_made_again_for_another_outcome_under_its_id() -> None:
    ids = [f"c{i}" for i in range(SPLICED_FROM)]
    lead = LeadState(
        account_id="acc_1",
        phone="+5511999990000",
        outcomes={i: CommandOutcome(status="applied") for i in ids},
    )
    assert lead_json(lead) == lead.model_dump_json().encode()
    # The same id settled again (a message's outcome), a new object: its own JSON.
    changed = lead.model_copy(
        update={"outcomes": lead.with_outcome("c0", CommandOutcome(status="failed", detail="x"))}
    )
    assert lead_json(changed) == changed.model_dump_json().encode()
    assert b'"c0":{"status":"failed","detail":"x"' in lead_json(changed)


def test_the_outcomes_json_kept_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leads_module, "OUTCOME_JSON_KEPT", 2 * SPLICED_FROM)
    for round_ in range(3):
        lead = LeadState(
            account_id="acc_1",
            phone="+5511999990000",
            outcomes={f"r{round_}-{i}": CommandOutcome(status="applied") for i in range(40)},
        )
        assert lead_json(lead) == lead.model_dump_json().encode()
        assert len(leads_module._OUTCOME_JSON) <= 2 * SPLICED_FROM + 40


def test_an_outcome_cannot_be_changed_in_place() -> None:
    with pytest.raises(ValidationError):
        CommandOutcome(status="applied").detail = "x"  # type: ignore[misc]


def test_no_other_field_of_a_lead_can_write_an_empty_object() -> None:
    """``lead_json`` puts the outcomes at the first ``"outcomes":{}`` of the rest of the
    lead: no other field may hold an object, or that could come first."""
    scalar = {str, str | None, int, datetime, list[str], list[str] | None, dict[str, str]}
    for name, field in LeadState.model_fields.items():
        assert name == "outcomes" or field.annotation in scalar, name


def test_an_outcome_writes_only_the_texts_it_holds_and_reads_back_as_written_before() -> None:
    """Most outcomes (applied tags and fields) have four empty texts: they are left out
    of the lead's JSON, and read back as empty, as from a lead written with them."""
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    applied = CommandOutcome(status="applied", at=at)
    assert applied.model_dump_json() == '{"status":"applied","at":"2026-11-30T12:00:00Z"}'
    sent = CommandOutcome(
        status="failed", detail="503", at=at, channel="cloud", provider_message_id="wamid.1",
        reason="provider_unavailable",
    )  # fmt: skip
    assert set(json.loads(sent.model_dump_json())) == set(CommandOutcome.model_fields)
    written_before = (
        '{"status":"applied","detail":"","at":"2026-11-30T12:00:00Z","channel":"",'
        '"provider_message_id":"","reason":""}'
    )
    assert CommandOutcome.model_validate_json(written_before) == applied
    lead = LeadState(account_id="acc_1", phone="+5511987654321", outcomes={"c1": applied})
    assert LEADS.decode(LEADS.encode(lead)) == lead
