"""The webhook -> outcome decision, on the real Hotmart sample."""

import json

import pytest
from pydantic import ValidationError

from core.config.state import ConfigState, secret_hash
from schemas.actions import Outgoing, parse_params
from schemas.commands import command_id_for
from schemas.config import (
    CONFIG_RECORD,
    Account,
    Action,
    ChatbotFlow,
    ConversionEvent,
    CustomField,
    Integration,
    IntegrationMapping,
    QuickReply,
    UrlToken,
)
from schemas.envelope import WebhookEnvelope
from schemas.leads import LeadState
from schemas.mapping import Mapping
from schemas.types import Plan, utcnow
from streams.process import process_envelope, unexpected_failure
from tests.samples import load_samples

LEAD = LeadState(account_id="acc_1", phone="+5599999999900")
HOTMART = Mapping(
    event="event",
    name="data.buyer.name",
    phone="data.buyer.checkout_phone",
    fields={"product": "data.product.name"},
)


def _config(plan: Plan = Plan.business, mapping: Mapping | None = HOTMART) -> ConfigState:
    state = ConfigState()
    records = [
        Account(id="acc_1", name="A", plan=plan, api_key_hash=secret_hash("k")),
        Integration(
            id="int_1",
            account_id="acc_1",
            name="h",
            platform="hotmart",
            tokens=[UrlToken(hash=secret_hash("t"))],
        ),
        ConversionEvent(
            id="conversion_1",
            account_id="acc_1",
            integration_id="int_1",
            name="Cancelada",
            identification="PURCHASE_CANCELED",
        ),
        Action(
            id="action_1",
            account_id="acc_1",
            integration_id="int_1",
            event_id="conversion_1",
            type="add_tag",
            tag="cancelou",
        ),
        Action(
            id="action_2",
            account_id="acc_1",
            integration_id="int_1",
            event_id="conversion_1",
            type="send_message",
            text="Oi {{name}}, vimos que {{fields.product}} foi cancelado",
        ),
    ]
    if mapping is not None:
        records.append(IntegrationMapping(id="int_1", account_id="acc_1", mapping=mapping))
    for record in records:
        state.apply(record.key, record)
    return state


def _envelope(body: bytes, **extra) -> WebhookEnvelope:
    return WebhookEnvelope(
        request_id="req1",
        integration_id="int_1",
        account_id="acc_1",
        received_at=utcnow(),
        content_type="application/json",
        body=body,
        delivery_id="d1",
        **extra,
    )


def _hotmart(event_name: str) -> bytes:
    (sample,) = [s for s in load_samples() if s.name == f"hotmart__{event_name}.json"]
    return sample.raw


def test_matched_webhook_emits_one_command_per_action() -> None:
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), _config())
    assert outcome.failure is None
    assert outcome.history.status == "matched"
    assert outcome.history.phone == "+5599999999900"
    assert [c.type for c in outcome.commands] == ["add_tag", "send_message"]
    assert outcome.commands[0].params == {"tag": "cancelou"}
    assert (
        outcome.commands[1].params["text"]
        == "Oi Teste Comprador, vimos que Produto test postback2 foi cancelado"
    )
    assert outcome.commands[0].command_id == command_id_for("int_1", "d1", "action_1")
    assert outcome.history.command_ids == [c.command_id for c in outcome.commands]


def test_other_event_is_unmatched_and_duplicate_emits_nothing() -> None:
    unmatched = process_envelope(_envelope(_hotmart("PURCHASE_APPROVED")), _config())
    assert unmatched.history.status == "unmatched" and unmatched.commands == []
    duplicate = process_envelope(
        _envelope(_hotmart("PURCHASE_CANCELED")), _config(), duplicate=True
    )
    assert duplicate.history.status == "duplicate" and duplicate.commands == []


def test_unmappable_payload_is_an_error_with_reason_and_a_dead_letter() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    del body["data"]["buyer"]["checkout_phone"]
    outcome = process_envelope(_envelope(json.dumps(body).encode()), _config())
    assert outcome.history.status == "error"
    assert outcome.failure and "phone" in outcome.failure
    assert any("phone" in e for e in outcome.history.errors)
    assert outcome.commands == []


def test_an_optional_fields_error_never_blocks_the_lead_and_history_says_it() -> None:
    # A mapping saved before functions were checked (configs already written still load):
    # its optional fields fail on every webhook, its lead goes through all the same.
    broken = HOTMART.model_copy(
        update={"fields": {"product": "data.product.name", "email": "foo(data.buyer.email)"}}
    )
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), _config(mapping=broken))
    assert outcome.failure is None and outcome.history.status == "matched"
    assert [c.type for c in outcome.commands] == ["add_tag", "send_message"]
    assert outcome.history.fields == {"product": "Produto test postback2", "email": None}
    assert outcome.history.errors == ["expression error in fields.email: Unknown function: foo()"]
    # Unmatched: history says it too.
    unmatched = process_envelope(_envelope(_hotmart("PURCHASE_APPROVED")), _config(mapping=broken))
    assert unmatched.history.status == "unmatched"
    assert unmatched.history.errors == outcome.history.errors
    # A required field's error still stops the webhook: a dead letter naming it first.
    required = broken.model_copy(update={"name": "foo(data.buyer.name)"})
    failed = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), _config(mapping=required))
    assert failed.failure == "expression error in name: Unknown function: foo()"
    assert failed.history.errors == [failed.failure, *outcome.history.errors]


def test_a_body_declared_json_that_does_not_parse_says_where_it_breaks() -> None:
    body = _hotmart("PURCHASE_CANCELED")
    cut = body[: body.index(b'"buyer"')] + b"}"  # an object left open: a ',' was expected
    outcome = process_envelope(_envelope(cut), _config())
    assert outcome.history.status == "error" and outcome.commands == []
    assert outcome.failure.startswith(f"invalid JSON at byte {len(cut) - 1} (line ")
    assert outcome.history.errors == [outcome.failure]  # not "missing required field: ..."
    assert outcome.history.body_format == "text"


def test_config_problems_are_dead_letters_not_crashes() -> None:
    no_mapping = process_envelope(_envelope(b"{}"), _config(mapping=None))
    assert no_mapping.failure == "integration has no mapping yet"
    downgraded = process_envelope(_envelope(b"{}"), _config(plan=Plan.basic))
    assert "plan basic" in downgraded.failure
    gone = process_envelope(_envelope(b"{}"), ConfigState())
    assert gone.failure == "integration no longer exists"


def test_ping_is_recorded_as_ping() -> None:
    outcome = process_envelope(_envelope(b"webhook_id=1", kind="ping"), _config())
    assert outcome.history.status == "ping" and outcome.failure is None


# -- templates and account objects ------------------------------------------------------
def _with(state: ConfigState, *records) -> ConfigState:
    for record in records:
        state.apply(record.key, record)
    return state


def _action(action_id: str, **params) -> Action:
    return Action(
        id=action_id,
        account_id="acc_1",
        integration_id="int_1",
        event_id="conversion_1",
        params=params,
    )


QUICK_REPLY = QuickReply(
    id="qr_1",
    account_id="acc_1",
    name="Recuperação",
    text="Oi {{ first_name }}, {{ payload.data.product.name }} ainda está aqui",
    buttons=["Quero", "Não quero"],
)
FLOW = ChatbotFlow(
    id="bot_1",
    account_id="acc_1",
    name="Boas-vindas",
    flow="flow-42",
    start_params={"nome": "{{ first_name }}", "produto": "{{ fields.product }}"},
)


def test_a_missing_value_stops_its_action_and_history_says_which() -> None:
    state = _with(
        _config(),
        _action("action_2", type="send_message", text="Olá {{ email }}, {{ fields.cupom }}!"),
        _action("action_3", type="update_field", field="cupom", value="{{ payload.coupon }}"),
    )
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert outcome.failure is None and outcome.history.status == "matched"
    assert [c.type for c in outcome.commands] == ["add_tag"]
    assert outcome.history.errors == [
        "send_message action_2 not sent: no value for email, fields.cupom",
        "update_field action_3 not run: no value for payload.coupon",
    ]
    assert outcome.history.command_ids == [outcome.commands[0].command_id]


def test_payload_and_lead_variables_render_and_credentials_stay_masked() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["hottok"] = "the-platform-secret"
    text = "{{ first_name }} {{ payload.data.buyer.address.city }} {{ payload.hottok }}"
    state = _with(_config(), _action("action_2", type="send_message", text=text))
    (_, send) = process_envelope(_envelope(json.dumps(body).encode()), state).commands
    assert send.params == {"text": "Teste Uberlândia ***"}


def test_object_sends_carry_the_objects_content_rendered() -> None:
    state = _with(
        _config(),
        QUICK_REPLY,
        FLOW,
        _action("action_2", type="send_quick_reply", quick_reply_id="qr_1"),
    )
    (_, send) = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert send.params == {
        "quick_reply_id": "qr_1",
        "quick_reply": "Oi Teste, Produto test postback2 ainda está aqui",
        "buttons": ["Quero", "Não quero"],
    }
    assert parse_params(send.type, send.params).apply(LEAD) == Outgoing(
        "quick_reply",
        "Oi Teste, Produto test postback2 ainda está aqui",
        buttons=("Quero", "Não quero"),
    )

    _with(state, _action("action_2", type="send_chatbot", chatbot_id="bot_1"))
    (_, send) = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert send.params == {
        "chatbot_id": "bot_1",
        "flow": "flow-42",
        "start_params": {"nome": "Teste", "produto": "Produto test postback2"},
    }
    assert parse_params(send.type, send.params).apply(LEAD) == Outgoing(
        "chatbot", "flow-42", params=(("nome", "Teste"), ("produto", "Produto test postback2"))
    )


def test_an_object_gone_or_missing_values_in_it_stop_the_send() -> None:
    state = _with(_config(), _action("action_2", type="send_quick_reply", quick_reply_id="qr_1"))
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert outcome.history.errors == [
        "send_quick_reply action_2 not sent: its quick_reply qr_1 no longer exists"
    ]
    _with(state, FLOW.model_copy(update={"start_params": {"c": "{{ fields.coupon }}"}}))
    _with(state, _action("action_2", type="send_chatbot", chatbot_id="bot_1"))
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert outcome.history.errors == ["send_chatbot action_2 not sent: no value for fields.coupon"]
    # Another account's object is not this account's.
    _with(state, FLOW.model_copy(update={"account_id": "acc_2"}))
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert "its chatbot_flow bot_1 no longer exists" in outcome.history.errors[0]


def test_rendered_params_must_still_be_valid() -> None:
    """A template may render nothing (``default``), but a message must say something."""
    text = "{{ payload.nope | d('') }}"
    state = _with(_config(), _action("action_2", type="send_message", text=text))
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert [c.type for c in outcome.commands] == ["add_tag"]
    assert outcome.history.errors == [
        "send_message action_2 not sent: invalid once rendered: text: String should have at"
        " least 1 character"
    ]


@pytest.mark.parametrize(
    ("flat", "params"),
    [
        (
            '"type": "send_quick_reply", "quick_reply": "qr-boas-vindas"',
            {"quick_reply": "qr-boas-vindas"},
        ),
        ('"type": "send_chatbot", "flow": "recuperacao", "text": null', {"flow": "recuperacao"}),
    ],
)
def test_free_text_sends_saved_before_objects_still_load_and_run(flat: str, params: dict) -> None:
    """Records in the old format (flat, the text itself): the command carries it as it
    always did, not rendered, and the executor sends it."""
    record = CONFIG_RECORD.validate_json(
        '{"kind": "action", "id": "action_2", "account_id": "acc_1",'
        ' "integration_id": "int_1", "event_id": "conversion_1",'
        ' "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z",'
        f' "tag": null, "field": null, "value": null, {flat}}}'
    )
    commands = process_envelope(
        _envelope(_hotmart("PURCHASE_CANCELED")), _with(_config(), record)
    ).commands
    (send,) = [c for c in commands if c.type != "add_tag"]
    assert {k: v for k, v in send.params.items() if v} == params
    outgoing = parse_params(send.type, send.params).apply(LEAD)
    assert outgoing.content == next(iter(params.values()))
    assert outgoing.buttons == () and outgoing.params == ()


def test_a_messages_fallback_template_has_its_body_parameters_rendered() -> None:
    fallback = {
        "name": "retomar_compra",
        "body_params": ["{{ first_name }}", "{{ fields.product }}"],
    }
    state = _with(
        _config(), _action("action_2", type="send_message", text="Oi", fallback_template=fallback)
    )
    (_, send) = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert send.params["fallback_template"] == {
        "name": "retomar_compra",
        "language": "pt_BR",
        "body_params": ["Teste", "Produto test postback2"],
    }
    outgoing = parse_params(send.type, send.params).apply(LEAD)
    assert outgoing.fallback is not None and outgoing.fallback.body_params == (
        "Teste",
        "Produto test postback2",
    )
    # A value the webhook lacks stops the send, as in the text.
    missing = {"name": "retomar_compra", "body_params": ["{{ payload.coupon }}"]}
    state = _with(
        _config(), _action("action_2", type="send_message", text="Oi", fallback_template=missing)
    )
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert [c.type for c in outcome.commands] == ["add_tag"]
    assert outcome.history.errors == ["send_message action_2 not sent: no value for payload.coupon"]


# -- leads and events: standard fields, typed fields, one send per delivery ---------------
STANDARD = Mapping(
    event="event",
    name="data.buyer.name",
    phone="data.buyer.checkout_phone",
    fields={
        "product": "data.product.name",
        "email": "data.buyer.email",
        "document": "data.buyer.document",
        "city": "data.buyer.address.city",
        "zip_code": "data.buyer.address.zipcode",
    },
)


def test_standard_fields_ride_on_every_command_without_an_action() -> None:
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), _config(mapping=STANDARD))
    profile = {
        "email": "testecomprador271101postman15@example.com",
        "document": "69526128664",
        "city": "Uberlândia",
        "zip_code": "38400123",
    }
    assert [c.profile for c in outcome.commands] == [profile, profile]
    assert outcome.history.errors == []


def test_a_standard_field_that_cannot_be_stored_is_in_history() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["buyer"]["email"] = "not-an-email"
    outcome = process_envelope(_envelope(json.dumps(body).encode()), _config(mapping=STANDARD))
    assert "email" not in outcome.commands[0].profile
    assert outcome.history.errors == [
        'email "not-an-email" not stored on the lead: not an e-mail address'
    ]
    assert [c.type for c in outcome.commands] == ["add_tag", "send_message"]


def _field(name: str, field_type: str) -> CustomField:
    field_id = f"fld_{name.encode().hex()}"
    return CustomField(id=field_id, account_id="acc_1", name=name, type=field_type)


def test_a_typed_fields_value_is_stored_canonical_or_not_at_all() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["purchase"]["price"] = {"value": "1.234,50"}
    state = _with(
        _config(),
        _field("valor", "number"),
        _field("ativo", "boolean"),
        _field("produto", "text"),
        _action(
            "action_3",
            type="update_field",
            field="valor",
            value="{{ payload.data.purchase.price.value }}",
        ),
        _action("action_4", type="update_field", field="ativo", value="{{ fields.product }}"),
        _action("action_5", type="update_field", field="produto", value="{{ fields.product }}"),
    )
    outcome = process_envelope(_envelope(json.dumps(body).encode()), state)
    updates = {
        c.params["field"]: c.params["value"] for c in outcome.commands if c.type == "update_field"
    }
    assert updates == {"valor": "1234.5", "produto": "Produto test postback2"}
    assert outcome.history.errors == [
        'update_field action_4 not run: "Produto test postback2" is not stored in boolean field'
        " 'ativo': not a boolean (true/false, sim/não, 1/0)"
    ]


def _event(event_id: str, identification: str, **options) -> ConversionEvent:
    return ConversionEvent(
        id=event_id,
        account_id="acc_1",
        integration_id="int_1",
        name=event_id,
        identification=identification,
        **options,
    )


def test_two_events_saved_with_one_identification_send_once_and_history_says_so() -> None:
    """Configs written before duplicate identifications were refused: the first event's
    send goes, the second's is skipped (its other actions run)."""
    state = _with(
        _config(),
        _event("conversion_2", "PURCHASE_CANCELED"),
        _action("action_9", type="send_message", text="Segunda mensagem").model_copy(
            update={"event_id": "conversion_2"}
        ),
        _action("action_8", type="add_tag", tag="segundo").model_copy(
            update={"event_id": "conversion_2"}
        ),
    )
    outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
    assert outcome.history.matched_event_ids == ["conversion_1", "conversion_2"]
    assert [(c.event_id, c.type) for c in outcome.commands] == [
        ("conversion_1", "add_tag"),
        ("conversion_1", "send_message"),
        ("conversion_2", "add_tag"),
    ]
    assert outcome.history.errors == [
        "send_message action_9 not sent: one send per webhook, and event conversion_1"
        " (Cancelada) already sends send_message action_2"
    ]


def test_an_event_may_match_ignoring_case() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["event"] = "purchase_canceled"
    assert process_envelope(_envelope(json.dumps(body).encode()), _config()).commands == []
    state = _config()
    state.apply(
        "conversion_event:conversion_1",
        _event("conversion_1", "PURCHASE_CANCELED", case_insensitive=True),
    )
    outcome = process_envelope(_envelope(json.dumps(body).encode()), state)
    assert outcome.history.status == "matched" and len(outcome.commands) == 2


def test_a_phone_that_looks_foreign_is_kept_with_a_warning_in_history() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["buyer"]["checkout_phone"] = "14155552671"  # a US number, no DDI
    outcome = process_envelope(_envelope(json.dumps(body).encode()), _config())
    assert outcome.failure is None and outcome.history.phone == "+5514155552671"
    assert outcome.history.errors == []
    assert len(outcome.history.warnings) == 1 and "(US)" in outcome.history.warnings[0]


# -- what is kept per config record --------------------------------------------------------
def test_an_actions_parameters_follow_its_record_and_are_each_commands_own() -> None:
    state = _with(
        _config(),
        _action("action_2", type="send_chatbot", flow="f-1", start_params={"origem": "site"}),
    )
    first = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert [c.params for c in first] == [
        {"tag": "cancelou"},
        {"chatbot_id": None, "flow": "f-1", "start_params": {"origem": "site"}},
    ]
    first[0].params["tag"] = "changed"
    first[1].params["start_params"]["origem"] = "changed"
    again = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert again[0].params == {"tag": "cancelou"}
    assert again[1].params["start_params"] == {"origem": "site"}
    # The config topic's next record for the action: its parameters from then on.
    _with(state, _action("action_1", type="add_tag", tag="novo"))
    changed = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state).commands
    assert {c.action_id: c.params for c in changed}["action_1"] == {"tag": "novo"}


def test_an_actions_own_parameters_are_checked_as_a_commands() -> None:
    """Parameters as saved are checked once per action record; invalid ones (a record
    this version would refuse) stop the action on every webhook, history saying why."""
    invalid = Action.model_construct(
        **_action("action_1", type="add_tag", tag="x").__dict__,
    )
    invalid.params = invalid.params.model_copy(update={"tag": ""})
    state = _with(_config(), invalid)
    for _ in range(2):
        outcome = process_envelope(_envelope(_hotmart("PURCHASE_CANCELED")), state)
        assert [c.type for c in outcome.commands] == ["send_message"]
        assert outcome.history.errors == [
            "add_tag action_1 not run: invalid once rendered: tag: String should have at least"
            " 1 character"
        ]


def test_history_masks_credentials_and_the_secret_however_the_body_is_written() -> None:
    secret = "integration-secret-1"
    state = _config()
    _with(state, state.integration("int_1").model_copy(update={"secret": secret}))
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["note"] = f"signed {secret}"
    for text in (json.dumps(body), json.dumps(body, ensure_ascii=False)):
        history = process_envelope(_envelope(text.encode()), state).history
        assert secret not in history.parsed_json + history.body_text
        assert "signed ***" in history.parsed_json and "signed ***" in history.body_text
        assert "Uberlândia" in history.parsed_json
    body["hottok"] = "hot-1"
    body["data"]["\u0074oken"] = 12
    for text in (json.dumps(body), json.dumps(body, ensure_ascii=False)):
        outcome = process_envelope(_envelope(text.encode()), state)
        parsed = json.loads(outcome.history.parsed_json)
        assert parsed["hottok"] == parsed["data"]["token"] == "***"
        assert "hot-1" not in outcome.history.body_text


def test_a_phone_longer_than_e164_allows_is_a_dead_letter_not_a_crash() -> None:
    """phonenumbers calls it possible; a command cannot carry it (the worker stopped on
    this webhook at every restart)."""
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["buyer"]["checkout_phone"] = "+819012345678901234"
    outcome = process_envelope(_envelope(json.dumps(body).encode()), _config())
    assert outcome.commands == [] and outcome.history.status == "error"
    assert outcome.failure and "longer than E.164 allows" in outcome.failure


def test_what_processing_raises_becomes_a_dead_letter_without_the_payloads_values() -> None:
    body = json.loads(_hotmart("PURCHASE_CANCELED"))
    body["data"]["buyer"]["checkout_phone"] = "+5511999990000"
    envelope = _envelope(json.dumps(body).encode())
    try:
        LeadState(account_id="acc_1", phone="+819012345678901234")
    except ValidationError as exc:
        raised = exc
    outcome = unexpected_failure(envelope, _config(), raised)
    assert outcome.failure == "internal error: LeadState invalid (phone: string_pattern_mismatch)"
    assert outcome.history.errors == [outcome.failure] and outcome.history.status == "error"
    assert "819012345678901234" not in outcome.history.model_dump_json()
    assert outcome.commands == []
    other = unexpected_failure(envelope, _config(), KeyError("segredo"))
    assert other.failure == "internal error: KeyError"
