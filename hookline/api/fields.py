"""Custom fields: the names ``update_field`` actions may write, one set per account,
each typed (text, number, date, boolean: ``streams/fields.py``)."""

from __future__ import annotations

from hookline.api.call import ApiError, Call
from schemas.api import (
    CustomFieldCreate,
    CustomFieldList,
    CustomFieldOut,
    CustomFieldPatch,
    ErrorDetail,
)
from schemas.config import Action, CustomField
from schemas.types import new_id, utcnow
from streams.fields import FieldValueError, convert


def check_literal(field_type: str, field: str, value: object) -> None:
    """A value without placeholders must fit its field's type when saved (a template's
    value is checked when a webhook renders it)."""
    if not isinstance(value, str) or "{{" in value or "{%" in value:
        return
    try:
        convert(value, field_type)
    except FieldValueError as exc:
        message = f"{value!r} does not fit {field_type} field {field!r}: {exc}"
        raise ApiError(422, message, [ErrorDetail(loc="value", message=message)]) from None


async def create_custom_field(call: Call) -> CustomFieldOut:
    body: CustomFieldCreate = call.body
    account = call.account
    if any(f.name == body.name for f in call.state.custom_fields_of(account.id)):
        raise ApiError(409, f"a custom field named {body.name!r} already exists")
    record = CustomField(
        id=new_id("fld"),
        account_id=account.id,
        name=body.name,
        description=body.description,
        type=body.type,
    )
    await call.runtime.writer.put(record)
    return CustomFieldOut.from_record(record)


async def update_custom_field(call: Call) -> CustomFieldOut:
    """A new description or type. A new type applies to values written from then on;
    literal values of the actions that write the field must fit it (422 naming them)."""
    body: CustomFieldPatch = call.body
    record = call.owned(CustomField, call.path("id"))
    changes = body.changes()
    if "type" in changes:
        for action in actions_writing(call, record.name):
            try:
                check_literal(changes["type"], record.name, getattr(action.params, "value", None))
            except ApiError as exc:
                raise ApiError(422, f"action {action.id}: {exc.message}", exc.details) from None
    updated = record.model_copy(update=changes | {"updated_at": utcnow()})
    await call.runtime.writer.put(updated)
    return CustomFieldOut.from_record(updated)


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
