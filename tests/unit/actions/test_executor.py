from actions.channels import Delivery
from actions.executor import (
    duplicate_record,
    execute,
    finish_send,
    message_record,
    result_record,
)
from schemas.commands import ActionCommand
from schemas.leads import APPLIED_COMMANDS_KEPT, LeadState, SendIntents


def _command(command_id: str, type_: str, **params: str) -> ActionCommand:
    return ActionCommand(
        command_id=command_id,
        account_id="acc_1",
        integration_id="int_1",
        request_id="r",
        event_id="conversion_1",
        action_id="action_1",
        type=type_,
        phone="+5511999999999",
        lead_name="Ana",
        params=params,
    )


def test_tags_fields_and_messages() -> None:
    first = execute(None, _command("c1", "add_tag", tag="vip"))
    assert first.outcome.status == "applied" and first.lead.tags == ["vip"]
    assert first.lead.name == "Ana" and first.lead.version == 1
    second = execute(first.lead, _command("c2", "update_field", field="plano", value="ouro"))
    assert second.lead.fields == {"plano": "ouro"} and second.lead.tags == ["vip"]
    third = execute(second.lead, _command("c3", "remove_tag", tag="vip"))
    assert third.lead.tags == [] and list(third.lead.outcomes) == ["c1", "c2", "c3"]
    sent = execute(third.lead, _command("c4", "send_message", text="Oi Ana"))
    assert sent.outgoing is not None and sent.outgoing.content == "Oi Ana"
    assert sent.outgoing.message_type == "text" and not sent.changed


def test_a_command_is_applied_at_most_once_and_its_records_come_again_identical() -> None:
    command = _command("c1", "add_tag", tag="vip")
    first = execute(None, command)
    again = execute(first.lead, command)
    assert again.duplicate and not again.changed and again.lead is first.lead
    assert again.outgoing is None
    assert result_record(command, again.outcome) == result_record(command, first.outcome)
    assert duplicate_record(command).status == "duplicate"


def test_input_lead_is_not_mutated_and_memory_is_bounded() -> None:
    lead = LeadState(
        account_id="acc_1",
        phone="+5511999999999",
        applied=[f"old{i}" for i in range(APPLIED_COMMANDS_KEPT)],
    )
    result = execute(lead, _command("new", "add_tag", tag="t"))
    assert lead.tags == [] and "new" not in list(lead.outcomes)
    assert len(list(result.lead.outcomes)) == APPLIED_COMMANDS_KEPT
    assert list(result.lead.outcomes)[-1] == "new" and "old0" not in list(result.lead.outcomes)


def test_missing_parameter_fails_without_changing_the_lead() -> None:
    lead = LeadState(account_id="acc_1", phone="+5511999999999")
    result = execute(lead, _command("c1", "add_tag"))
    assert result.outcome.status == "failed" and "tag" in result.outcome.detail
    assert not result.changed


def test_a_send_is_settled_once_its_channel_answered() -> None:
    lead = execute(None, _command("c1", "add_tag", tag="vip")).lead
    command = _command("c2", "send_message", text="Oi Ana")
    execution = execute(lead, command)
    assert execution.outgoing is not None and not execution.changed
    assert "c2" not in list(execution.lead.outcomes)

    done = finish_send(
        execution, lead, command, "generic_http", Delivery("sent", provider_message_id="w.1")
    )
    assert list(done.lead.outcomes)[-1] == "c2" and done.changed and done.lead.tags == ["vip"]
    assert done.lead.version == lead.version + 1
    assert done.outcome.status == "applied"
    message = message_record(command, done.outcome)
    assert message is not None and message.status == "sent" and message.content == "Oi Ana"
    assert message.channel == "generic_http" and message.provider_message_id == "w.1"
    # Redelivered: recognised, and the same records come again from the lead.
    again = execute(done.lead, command)
    assert again.duplicate and again.outgoing is None
    assert message_record(command, again.outcome) == message

    failed = finish_send(
        execution, lead, command, "generic_http", Delivery.failed("fatal", "HTTP 400: bad")
    )
    assert failed.outcome.status == "failed" and failed.outcome.detail == "HTTP 400: bad"
    assert list(failed.lead.outcomes)[-1] == "c2"  # handled: a redelivery is a duplicate
    record = message_record(command, failed.outcome)
    assert record is not None and (record.status, record.reason) == ("failed", "fatal")
    assert record.command == command and record.retry_of == ""


def test_a_refused_send_is_settled_without_a_call() -> None:
    command = _command("c1", "send_message", text="Oi Ana")
    execution = execute(None, command)
    refused = finish_send(
        execution, None, command, "zapi", Delivery.failed("auth", "credentials refused")
    )
    assert refused.outcome.status == "failed" and refused.outcome.reason == "auth"
    assert list(refused.lead.outcomes) == ["c1"] and refused.changed
    message = message_record(command, refused.outcome)
    assert message is not None and message.reason == "auth" and message.channel == "zapi"


def test_a_retried_message_names_its_first_attempt() -> None:
    command = _command("c1-r1", "send_message", text="Oi").model_copy(update={"retry_of": "c1"})
    execution = execute(None, command)
    done = finish_send(execution, None, command, "zapi", Delivery.sent("z"))
    message = message_record(command, done.outcome)
    assert message is not None and message.retry_of == "c1" and message.status == "sent"


def test_a_send_interrupted_after_its_intent_is_never_sent_again() -> None:
    command = _command("c1", "send_message", text="Oi Ana")
    lead = execute(None, _command("c0", "add_tag", tag="vip")).lead
    intents = SendIntents().started("c1")
    again = execute(lead, command, "generic_http", intents)
    assert again.outgoing is None, "the channel must not be called a second time"
    assert again.outcome.status == "unknown" and again.changed
    assert list(again.lead.outcomes) == ["c0", "c1"] and again.lead.tags == ["vip"]
    message = message_record(command, again.outcome)
    assert message is not None and message.status == "unknown" and message.content == "Oi Ana"
    assert execute(again.lead, command, "generic_http", intents).duplicate
    assert intents.unstored(again.lead).empty


def test_a_send_answered_before_a_crash_keeps_its_answer() -> None:
    """The lead's write was lost after its intents recorded the answer: the command
    comes again and takes that answer, without a call and without a duplicate."""
    first, second = (_command(c, "send_message", text="Oi") for c in ("c1", "c2"))
    answer = finish_send(execute(None, first), None, first, "zapi", Delivery.sent("z.1"))
    intents = SendIntents().started("c1").answered("c1", answer.outcome).started("c2")
    assert intents.sending == ["c2"] and list(intents.settled) == ["c1"]

    again = execute(None, first, "zapi", intents)
    assert again.outgoing is None and not again.duplicate and again.changed
    assert again.outcome == answer.outcome and list(again.lead.outcomes) == ["c1"]
    interrupted = execute(again.lead, second, "zapi", intents)
    assert interrupted.outcome.status == "unknown" and interrupted.outgoing is None
    assert intents.unstored(again.lead) == SendIntents(sending=["c2"])
    assert intents.unstored(interrupted.lead).empty


def test_a_send_marked_in_a_lead_by_an_earlier_version_is_never_sent_again() -> None:
    command = _command("c1", "send_message", text="Oi Ana")
    legacy = LeadState(account_id="acc_1", phone="+5511999999999", sending=["c1"])
    again = execute(legacy, command, "generic_http")
    assert again.outgoing is None and again.outcome.status == "unknown"
    assert again.lead.sending == [] and list(again.lead.outcomes) == ["c1"]


def test_leads_written_before_outcomes_were_kept_still_read() -> None:
    old = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999999999", "applied": ["a", "b"]}'
    )
    assert list(old.outcomes) == ["a", "b"] and old.outcomes["a"].status == "applied"


def test_a_commands_standard_fields_land_on_the_profile_with_its_change() -> None:
    command = _command("c1", "add_tag", tag="vip").model_copy(
        update={"profile": {"email": "ana@loja.com", "city": "Recife"}}
    )
    first = execute(LeadState(account_id="acc_1", phone="+5511999999999"), command)
    assert first.lead.profile == {"email": "ana@loja.com", "city": "Recife"}
    later = _command("c2", "send_message", text="Oi").model_copy(
        update={"profile": {"email": "ana@nova.com"}}
    )
    sent = execute(first.lead, later)
    assert sent.lead.profile == {"email": "ana@nova.com", "city": "Recife"}
    assert first.lead.profile["email"] == "ana@loja.com"  # the stored lead is not changed
    # A command written before profiles existed carries none, and changes none.
    old = ActionCommand.model_validate_json(
        _command("c3", "add_tag", tag="x").model_dump_json(exclude={"profile"})
    )
    assert old.profile == {} and execute(sent.lead, old).lead.profile == sent.lead.profile
