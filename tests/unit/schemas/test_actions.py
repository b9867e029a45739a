"""Action types (schemas/actions.py): one class each, every list derived from them,
and config records written in the old flat shape still read."""

from __future__ import annotations

import pytest

from schemas.actions import (
    ACTION_TYPES,
    SEND_ACTIONS,
    ActionParams,
    Outgoing,
    action_type,
    action_types,
    parse_params,
)
from schemas.config import CONFIG_RECORD, Action
from schemas.leads import LeadState

LEAD = LeadState(account_id="acc_1", phone="+5511999999999", tags=["lead"])


def test_every_list_comes_from_the_classes() -> None:
    types = action_types()
    assert ACTION_TYPES == tuple(types)
    assert SEND_ACTIONS == {name for name, cls in types.items() if cls.message_type}
    assert SEND_ACTIONS == {"send_chatbot", "send_message", "send_quick_reply"}
    assert all(cls.label for cls in types.values())
    for cls in types.values():
        assert set(cls.templated) <= set(cls.model_fields), cls


def test_a_type_is_registered_once() -> None:
    from typing import Literal

    with pytest.raises(ValueError, match="already registered"):

        @action_type
        class AddTagAgain(ActionParams):
            type: Literal["add_tag"]


def test_each_type_does_its_change_to_a_copy_of_the_lead() -> None:
    lead = LEAD.model_copy(deep=True)
    assert parse_params("add_tag", {"tag": "vip"}).apply(lead) is None
    parse_params("remove_tag", {"tag": "lead"}).apply(lead)
    parse_params("update_field", {"field": "plano", "value": "ouro"}).apply(lead)
    parse_params("update_field", {"field": "cupom", "value": "X"}).apply(lead)
    parse_params("remove_field", {"field": "cupom"}).apply(lead)
    parse_params("remove_field", {"field": "never-set"}).apply(lead)
    assert lead.tags == ["vip"] and lead.fields == {"plano": "ouro"}
    assert parse_params("send_message", {"text": "Oi"}).apply(lead) == Outgoing("text", "Oi")
    assert parse_params("send_chatbot", {"flow": "f1"}).apply(lead) == Outgoing("chatbot", "f1")
    assert parse_params("send_quick_reply", {"quick_reply": "q"}).apply(lead) == Outgoing(
        "quick_reply", "q"
    )
    with pytest.raises(ValueError, match="expected one of: add_tag"):
        parse_params("send_sms", {})


OLD_SHAPE = (
    '{"kind": "action", "id": "act_1a", "account_id": "acc_1a", "integration_id": "int_1a",'
    ' "event_id": "evt_1a", "created_at": "2026-11-01T10:00:00Z",'
    ' "updated_at": "2026-11-01T10:00:00Z", "type": "%s", "tag": %s, "field": %s,'
    ' "value": %s, "flow": null, "text": %s, "quick_reply": null}'
)


@pytest.mark.parametrize(
    ("flat", "params"),
    [
        (
            OLD_SHAPE % ("add_tag", '"vip"', "null", "null", "null"),
            {"type": "add_tag", "tag": "vip"},
        ),
        (
            OLD_SHAPE % ("update_field", "null", '"produto"', '"{{fields.product}}"', "null"),
            {"type": "update_field", "field": "produto", "value": "{{fields.product}}"},
        ),
        (
            OLD_SHAPE % ("send_message", "null", "null", "null", '"Oi {{name}}"'),
            {"type": "send_message", "text": "Oi {{name}}"},
        ),
    ],
)
def test_records_written_in_the_flat_shape_still_read(flat: str, params: dict) -> None:
    record = CONFIG_RECORD.validate_json(flat)
    assert isinstance(record, Action) and record.params.model_dump() == params
    assert record.type == params["type"] and record.is_send == (params["type"] in SEND_ACTIONS)
    # Written again, it takes the new shape, and reads back the same.
    assert CONFIG_RECORD.validate_json(CONFIG_RECORD.dump_json(record)) == record
