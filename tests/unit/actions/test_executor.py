from actions.channels import Delivery
from actions.executor import (
    begin_send,
    duplicate_record,
    execute,
    finish_send,
    message_record,
    refused_send,
    result_record,
)
from schemas.commands import ActionCommand
from schemas.leads import APPLIED_COMMANDS_KEPT, LeadState


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
    assert third.lead.tags == [] and third.lead.applied == ["c1", "c2", "c3"]
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
    assert lead.tags == [] and "new" not in lead.applied
    assert len(result.lead.applied) == APPLIED_COMMANDS_KEPT
    assert result.lead.applied[-1] == "new" and "old0" not in result.lead.applied


def test_missing_parameter_fails_without_changing_the_lead() -> None:
    lead = LeadState(account_id="acc_1", phone="+5511999999999")
    result = execute(lead, _command("c1", "add_tag"))
    assert result.outcome.status == "failed" and "tag" in result.outcome.detail
    assert not result.changed


def test_a_send_records_its_intent_then_its_outcome() -> None:
    lead = execute(None, _command("c1", "add_tag", tag="vip")).lead
    command = _command("c2", "send_message", text="Oi Ana")
    execution = execute(lead, command)
    intent = begin_send(lead, command)
    assert intent.sending == ["c2"] and "c2" not in intent.applied
    assert intent.version == lead.version + 1 and intent.tags == ["vip"]

    done = finish_send(
        execution, intent, command, "generic_http", Delivery("sent", provider_message_id="w.1")
    )
    assert done.lead.sending == [] and done.lead.applied[-1] == "c2" and done.changed
    assert done.lead.version == intent.version + 1
    assert done.outcome.status == "applied"
    message = message_record(command, done.outcome)
    assert message is not None and message.status == "sent" and message.content == "Oi Ana"
    assert message.channel == "generic_http" and message.provider_message_id == "w.1"
    # Redelivered: recognised, and the same records come again from the lead.
    again = execute(done.lead, command)
    assert again.duplicate and again.outgoing is None
    assert message_record(command, again.outcome) == message

    failed = finish_send(
        execution, intent, command, "generic_http", Delivery.failed("fatal", "HTTP 400: bad")
    )
    assert failed.outcome.status == "failed" and failed.outcome.detail == "HTTP 400: bad"
    assert failed.lead.applied[-1] == "c2"  # handled: a redelivery is a duplicate
    record = message_record(command, failed.outcome)
    assert record is not None and (record.status, record.reason) == ("failed", "fatal")
    assert record.command == command and record.retry_of == ""


def test_a_refused_send_is_settled_without_an_intent() -> None:
    command = _command("c1", "send_message", text="Oi Ana")
    execution = execute(None, command)
    refused = refused_send(
        execution, None, command, "zapi", Delivery.failed("auth", "credentials refused")
    )
    assert refused.outcome.status == "failed" and refused.outcome.reason == "auth"
    assert refused.lead.sending == [] and refused.lead.applied == ["c1"] and refused.changed
    message = message_record(command, refused.outcome)
    assert message is not None and message.reason == "auth" and message.channel == "zapi"


def test_a_retried_message_names_its_first_attempt() -> None:
    command = _command("c1-r1", "send_message", text="Oi").model_copy(update={"retry_of": "c1"})
    execution = execute(None, command)
    done = finish_send(execution, begin_send(None, command), command, "zapi", Delivery.sent("z"))
    message = message_record(command, done.outcome)
    assert message is not None and message.retry_of == "c1" and message.status == "sent"


def test_a_send_interrupted_after_its_intent_is_never_sent_again() -> None:
    command = _command("c1", "send_message", text="Oi Ana")
    intent = begin_send(None, command)
    again = execute(intent, command, "generic_http")
    assert again.outgoing is None, "the channel must not be called a second time"
    assert again.outcome.status == "unknown" and again.changed
    assert again.lead.sending == [] and again.lead.applied == ["c1"]
    message = message_record(command, again.outcome)
    assert message is not None and message.status == "unknown" and message.content == "Oi Ana"
    assert execute(again.lead, command).duplicate


def test_leads_written_before_outcomes_were_kept_still_read() -> None:
    old = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999999999", "applied": ["a", "b"]}'
    )
    assert old.applied == ["a", "b"] and old.outcomes["a"].status == "applied"


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
