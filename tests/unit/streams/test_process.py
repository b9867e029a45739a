"""The webhook -> outcome decision, on the real Hotmart sample."""

import json

from core.config.state import ConfigState, secret_hash
from schemas.commands import command_id_for
from schemas.config import (
    Account,
    Action,
    ConversionEvent,
    Integration,
    IntegrationMapping,
    UrlToken,
)
from schemas.envelope import WebhookEnvelope
from schemas.mapping import Mapping
from schemas.types import Plan, utcnow
from streams.process import process_envelope
from tests.samples import load_samples

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
