"""Lead state as the executors keep it on ``hookline.leads``."""

from __future__ import annotations

from schemas.leads import _CONTAINERS, APPLIED_COMMANDS_KEPT, CommandOutcome, LeadState


def test_leads_stored_before_profiles_existed_load_with_none() -> None:
    lead = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "name": "Ana", "tags": ["vip"],'
        ' "fields": {"produto": "Curso"}, "applied": ["c1"],'
        ' "updated_at": "2026-01-01T00:00:00Z", "version": 3}'
    )
    assert lead.profile == {} and lead.fields == {"produto": "Curso"} and lead.applied == ["c1"]
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
    assert old.applied == ["c1", "c2"]
    assert {o.status for o in old.outcomes.values()} == {"applied"}
    written = old.model_dump_json()
    assert '"applied":' not in written and "legacy" not in written
    assert LeadState.model_validate_json(written) == old
    both = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "applied": ["c1"],'
        ' "outcomes": {"c9": {"status": "failed"}}}'
    )
    assert both.applied == ["c9"]  # outcomes written beside the ids are the lead's


def test_no_validator_reshapes_a_leads_input() -> None:
    """A "before" (or "wrap") model validator has pydantic build a lead's whole JSON as
    Python objects and validate those: it made every decode take twice as long (a lead
    is decoded by the executor at each batch, by the history sink at each write)."""
    validators = LeadState.__pydantic_decorators__.model_validators.values()
    assert {v.info.mode for v in validators} == {"after"}
