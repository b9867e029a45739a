"""Shared vocabulary (schemas/types.py): phones as E.164, models assembled from values
of their types without validating them again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, Field, PrivateAttr, TypeAdapter, ValidationError

from schemas.commands import ActionCommand
from schemas.history import CommandResult, WebhookHistory
from schemas.leads import CommandOutcome, LeadState
from schemas.types import E164, assembled, is_e164

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IDS = {"account_id": "acc_1", "integration_id": "int_1"}
MODELS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (
        WebhookHistory,
        {
            "request_id": "r1",
            **IDS,
            "received_at": AT,
            "processed_at": AT,
            "status": "matched",
            "event": "E",
            "fields": {"n": [1, None]},
            "errors": ["e"],
            "headers": {"x-a": "b"},
            "body_text": "{}",
        },
    ),
    (
        ActionCommand,
        {
            "command_id": "c1",
            **IDS,
            "request_id": "r1",
            "event_id": "evt_1",
            "action_id": "act_1",
            "type": "add_tag",
            "phone": "+5511999999999",
            "lead_name": "Ana",
            "params": {"tag": "t"},
            "created_at": AT,
        },
    ),
    (
        CommandResult,
        {"command_id": "c1", **IDS, "request_id": "r1", "phone": "+55", "type": "add_tag"}
        | {"status": "applied", "applied_at": AT},
    ),
    (LeadState, {"account_id": "acc_1", "phone": "+5511999999999", "updated_at": AT}),
    (CommandOutcome, {"status": "failed", "detail": "x", "at": AT}),
]


@pytest.mark.parametrize(("model", "values"), MODELS, ids=lambda v: getattr(v, "__name__", ""))
def test_an_assembled_model_is_the_validated_one(
    model: type[BaseModel], values: dict[str, Any]
) -> None:
    built, validated = assembled(model, **values), model(**values)
    assert built == validated and list(built.__dict__) == list(validated.__dict__)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert model.model_validate_json(built.model_dump_json()) == built


def test_defaults_are_made_for_each_model_as_validation_makes_them() -> None:
    first, second = (assembled(LeadState, account_id="acc_1", phone="+551199") for _ in "ab")
    assert first.tags == [] and first.tags is not second.tags
    assert first.outcomes is not second.outcomes and first.version == 0
    assert first.updated_at.tzinfo is UTC


def test_what_assembled_refuses() -> None:
    with pytest.raises(TypeError, match=r"no field \['nope'\]"):
        assembled(CommandOutcome, status="applied", nope=1)
    with pytest.raises(TypeError, match=r"CommandOutcome\.status is required"):
        assembled(CommandOutcome)

    class Private(BaseModel):
        _cache: int = PrivateAttr(0)

    class Shared(BaseModel):
        items: list[int] = [1]  # the case refused: a default that may change

    class FromData(BaseModel):
        a: int = 1
        b: int = Field(default_factory=lambda data: data["a"])

    for model in (Private, Shared, FromData):
        with pytest.raises(TypeError):
            assembled(model)


@pytest.mark.parametrize(
    "phone",
    [
        *("+5511999999999", "+4930123", "+123456", "+1234567890123456", "+12345678901234567"),
        *("+0123456789", "5511999999999", "+5511999999999\n", "+55 11 99999", "+551199999999٣"),
    ],
)
def test_is_e164_agrees_with_the_e164_type(phone: str) -> None:
    try:
        TypeAdapter(E164).validate_python(phone)
    except ValidationError:
        assert not is_e164(phone)
    else:
        assert is_e164(phone)
