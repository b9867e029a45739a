"""The management API's request/response models and input helpers (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.config.state import secret_hash
from hookline.api.call import ApiError
from hookline.api.integrations import new_integration
from schemas.actions import ACTION_TYPES, AddTag, SendMessage, UpdateField
from schemas.api import (
    AccountCreate,
    AccountPatch,
    ActionIn,
    ActionOut,
    CustomFieldCreate,
    IntegrationCreate,
    IntegrationOut,
    IntegrationPatch,
    LimitQuery,
    RotateToken,
    WebhookOut,
)
from schemas.config import Account, ConversionEvent, Integration, UrlToken
from schemas.types import Plan, utcnow

EVENT = ConversionEvent(
    id="evt_1", account_id="acc_1", integration_id="int_1", name="Compra", identification="APPROVED"
)
PARAMS = {
    "add_tag": {"tag": "vip"},
    "remove_tag": {"tag": "lead"},
    "update_field": {"field": "product", "value": "{{fields.product}}"},
    "remove_field": {"field": "product"},
    "send_chatbot": {"chatbot_id": "bot_1"},
    "send_message": {"text": "Oi {{name}}"},
    "send_quick_reply": {"quick_reply_id": "qr_1"},
}


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[tuple, str]]:
    return [(e["loc"], e["msg"]) for e in exc.value.errors()]


# -- ActionIn ------------------------------------------------------------------
def test_action_union_covers_every_action_type() -> None:
    assert set(PARAMS) == set(ACTION_TYPES)


@pytest.mark.parametrize("action_type", sorted(PARAMS))
def test_each_action_type_parses_to_its_variant_and_record(action_type: str) -> None:
    action = ActionIn.model_validate({"type": action_type, **PARAMS[action_type]})
    assert action.root.type == action_type
    record = action.to_record(EVENT, "act_1")
    assert (record.account_id, record.integration_id, record.event_id) == (
        "acc_1",
        "int_1",
        "evt_1",
    )
    assert record.params.model_dump(exclude={"type"}, exclude_defaults=True) == PARAMS[action_type]
    out = ActionOut.from_record(record).model_dump(exclude_defaults=True)
    assert (
        out
        == {"id": "act_1", "type": action_type, "created_at": record.created_at}
        | (PARAMS[action_type])
    )


def test_action_params_are_checked_per_type() -> None:
    with pytest.raises(ValidationError) as exc:
        ActionIn.model_validate({"type": "add_tag"})
    assert _errors(exc) == [(("add_tag", "tag"), "Field required")]
    with pytest.raises(ValidationError) as exc:
        ActionIn.model_validate({"type": "send_message", "text": "hi", "tag": "x"})
    assert _errors(exc) == [(("send_message", "tag"), "Extra inputs are not permitted")]
    with pytest.raises(ValidationError) as exc:
        ActionIn.model_validate({"type": "update_field", "field": "product"})
    assert _errors(exc) == [(("update_field", "value"), "Field required")]
    with pytest.raises(ValidationError):
        ActionIn.model_validate({"type": "send_message", "text": "   "})


@pytest.mark.parametrize("data", [{"type": "send_sms"}, {"tag": "x"}, {"type": None}])
def test_unknown_or_missing_action_type_lists_the_valid_ones(data: dict) -> None:
    with pytest.raises(ValidationError) as exc:
        ActionIn.model_validate(data)
    ((_, message),) = _errors(exc)
    assert message == f"Value error, type must be one of: {', '.join(ACTION_TYPES)}"


def test_action_inputs_are_stripped_and_update_field_may_clear() -> None:
    assert ActionIn.model_validate({"type": "add_tag", "tag": "  vip "}).root == AddTag(
        type="add_tag", tag="vip"
    )
    cleared = ActionIn.model_validate({"type": "update_field", "field": "product", "value": ""})
    assert isinstance(cleared.root, UpdateField) and cleared.root.value == ""
    message = ActionIn.model_validate({"type": "send_message", "text": "Oi"}).root
    assert isinstance(message, SendMessage)


# -- accounts, integrations, patches -------------------------------------------
def test_inputs_forbid_unknown_fields_and_check_plans() -> None:
    assert AccountCreate(name=" Loja ", plan="elite").name == "Loja"
    with pytest.raises(ValidationError):
        AccountCreate.model_validate({"name": "Loja", "plan": "gold"})
    with pytest.raises(ValidationError):
        IntegrationCreate.model_validate({"name": "x", "url": "http://evil"})
    assert IntegrationCreate(name="Hotmart").platform == "generic"


def test_patches_keep_absent_fields_and_refuse_null_where_not_nullable() -> None:
    assert AccountPatch.model_validate({"plan": "pro"}).changes() == {"plan": Plan.pro}
    assert AccountPatch.model_validate({}).changes() == {}
    with pytest.raises(ValidationError, match="name cannot be null"):
        AccountPatch.model_validate({"name": None})
    assert IntegrationPatch.model_validate({"secret": None}).changes() == {"secret": None}
    with pytest.raises(ValidationError, match="enabled cannot be null"):
        IntegrationPatch.model_validate({"enabled": None})
    with pytest.raises(ValidationError):
        IntegrationPatch.model_validate({"secret": ""})


def test_rotate_token_grace_is_bounded() -> None:
    assert RotateToken().grace_seconds == 86400
    for bad in (-1, 31 * 86400):
        with pytest.raises(ValidationError):
            RotateToken(grace_seconds=bad)


def test_integration_output_hides_secret_and_token_hashes() -> None:
    now = utcnow()
    integration = Integration(
        id="int_1",
        account_id="acc_1",
        name="Loja",
        secret="whsec_1",
        tokens=[
            UrlToken(hash="a" * 64, expires_at=now - timedelta(hours=1)),
            UrlToken(hash="b" * 64, expires_at=now + timedelta(hours=2)),
            UrlToken(hash="c" * 64),
        ],
    )
    out = IntegrationOut.from_integration(integration, signature_scheme="hmac")
    text = out.model_dump_json()
    assert out.has_secret is True and "whsec_1" not in text
    assert not any(c * 64 in text for c in "abc")
    assert (
        "secret" not in IntegrationOut.model_fields and "tokens" not in IntegrationOut.model_fields
    )
    assert out.old_token_valid_until == integration.tokens[1].expires_at
    fresh = integration.model_copy(update={"tokens": integration.tokens[2:], "secret": None})
    assert IntegrationOut.from_integration(fresh, signature_scheme="hmac").model_dump(
        include={"has_secret", "old_token_valid_until"}
    ) == {"has_secret": False, "old_token_valid_until": None}


def test_new_integration_stores_only_the_token_hash() -> None:
    account = Account(id="acc_1", name="A", plan=Plan.elite, api_key_hash="h")
    integration, token = new_integration(
        account, IntegrationCreate(name="Kiwify", platform="kiwify")
    )
    assert len(token) >= 32  # 24 random bytes, URL-safe base64
    assert integration.tokens == [UrlToken(hash=secret_hash(token))]
    assert token not in integration.model_dump_json()
    assert (integration.account_id, integration.platform) == ("acc_1", "kiwify")
    assert new_integration(account, IntegrationCreate(name="x"))[1] != token


def test_custom_field_names_are_template_safe() -> None:
    assert CustomFieldCreate(name="product_name").name == "product_name"
    assert CustomFieldCreate(name="preço-final").name == "preço-final"
    for bad in ("my field", "a.b", "{{x}}", ""):
        with pytest.raises(ValidationError):
            CustomFieldCreate(name=bad)


# -- history -------------------------------------------------------------------
def test_limit_query_reads_strings_and_bounds() -> None:
    assert LimitQuery.model_validate({}).limit == 50
    assert LimitQuery.model_validate({"limit": "500"}).limit == 500
    for bad in ("0", "501", "x"):
        with pytest.raises(ValidationError):
            LimitQuery.model_validate({"limit": bad})
    with pytest.raises(ValidationError):
        LimitQuery.model_validate({"limt": "5"})


def test_webhook_rows_become_outputs() -> None:
    row = {
        "request_id": "r1",
        "delivery_id": None,  # HistoryStore.webhooks turns the stored "" into None
        "status": "unmatched",
        "event": "X",
        "name": None,
        "phone": None,
        "fields": {"a": 1},
        "errors": [],
        "matched_event_ids": [],
        "action_types": [],
        "command_ids": ["c"],
        "received_at": datetime(2026, 1, 2, tzinfo=UTC),
        "processed_at": datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC),
        "body_text": "{}",
        "parsed_json": "{}",
        "integration_id": "int_1",
    }
    out = WebhookOut.from_row(row)
    assert out.delivery_id is None and out.fields == {"a": 1}
    dumped = out.model_dump(mode="json")
    assert dumped["received_at"] == "2026-01-02T00:00:00Z" and "body_text" not in dumped


# -- error messages ------------------------------------------------------------
def test_validation_errors_become_readable_422s_without_echoing_input() -> None:
    with pytest.raises(ValidationError) as exc:
        IntegrationPatch.model_validate({"secret": "x" * 2000, "extra": 1})
    error = ApiError.invalid(exc.value, "request body")
    assert error.status == 422
    assert [d.loc for d in error.details or []] == ["secret", "extra"]
    assert error.message.startswith("invalid request body: secret: String should have at most")
    assert "extra: Extra inputs are not permitted" in error.message
    assert "x" * 50 not in error.message
    with pytest.raises(ValidationError) as exc:
        AccountPatch.model_validate({"name": None})
    error = ApiError.invalid(exc.value, "request body")
    assert error.message == "invalid request body: name cannot be null (leave it out to keep it)"
    assert error.details is not None and error.details[0].loc == "request body"
