"""Custom fields: the names ``update_field`` actions may write, one set per account."""

from __future__ import annotations

from hookline.api.call import ApiError, Call
from schemas.api import CustomFieldCreate, CustomFieldList, CustomFieldOut
from schemas.config import Action, CustomField
from schemas.types import new_id


async def create_custom_field(call: Call) -> CustomFieldOut:
    body: CustomFieldCreate = call.body
    account = call.account
    if any(f.name == body.name for f in call.state.custom_fields_of(account.id)):
        raise ApiError(409, f"a custom field named {body.name!r} already exists")
    record = CustomField(
        id=new_id("fld"), account_id=account.id, name=body.name, description=body.description
    )
    await call.runtime.writer.put(record)
    return CustomFieldOut.from_record(record)


async def list_custom_fields(call: Call) -> CustomFieldList:
    fields = call.state.custom_fields_of(call.account.id)
    return CustomFieldList(items=[CustomFieldOut.from_record(f) for f in fields])


def actions_writing(call: Call, field_name: str) -> list[Action]:
    state = call.state
    return [
        action
        for integration in state.integrations_of(call.account.id)
        for event in state.events_of(integration.id)
        for action in state.actions_of(event.id)
        if (param := action.params.custom_field_param) is not None
        and getattr(action.params, param) == field_name
    ]


async def delete_custom_field(call: Call) -> None:
    record = call.owned(CustomField, call.path("id"))
    if users := actions_writing(call, record.name):
        ids = ", ".join(a.id for a in users)
        raise ApiError(
            409,
            f"custom field {record.name!r} is written by actions {ids}; delete those actions first",
        )
    await call.runtime.writer.delete(record.key)
