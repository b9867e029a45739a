"""Conversion events of an integration and their actions (at most one send action each)."""

from __future__ import annotations

from hookline.api.call import ApiError, Call, not_found
from hookline.api.objects import BY_KIND, ObjectKind
from hookline.api.templates import check_templates, template_sources
from schemas.actions import ActionParams
from schemas.api import ActionIn, ActionOut, ErrorDetail, EventCreate, EventList, EventOut
from schemas.config import Action, ChatbotFlow, ConversionEvent, Integration, QuickReply
from schemas.types import new_id
from streams.templates import variables_for


def owned_event(call: Call) -> ConversionEvent:
    """The event in the path, which must belong to the integration in the path."""
    integration = call.owned(Integration, call.path("id"))
    event = call.owned(ConversionEvent, call.path("event_id"))
    if event.integration_id != integration.id:
        raise not_found("conversion_event")
    return event


async def create_event(call: Call) -> EventOut:
    body: EventCreate = call.body
    integration = call.owned(Integration, call.path("id"))
    event = ConversionEvent(
        id=new_id("evt"),
        account_id=integration.account_id,
        integration_id=integration.id,
        name=body.name,
        identification=body.identification,
    )
    await call.runtime.writer.put(event)
    return EventOut.from_event(event, [])


async def list_events(call: Call) -> EventList:
    integration = call.owned(Integration, call.path("id"))
    state = call.state
    return EventList(
        items=[
            EventOut.from_event(e, state.actions_of(e.id)) for e in state.events_of(integration.id)
        ]
    )


async def delete_event(call: Call) -> None:
    event = owned_event(call)
    for action in call.state.actions_of(event.id):
        await call.runtime.writer.delete(action.key)
    await call.runtime.writer.delete(event.key)


def check_action(call: Call, event: ConversionEvent, params: ActionParams) -> None:
    """The rules that need config: a custom field it names exists; its templates use
    only the variables of the event's integration; the object it sends (a quick reply,
    a chatbot flow) is the account's, and so are the variables its templates use; one
    send action per event."""
    if (param := params.custom_field_param) is not None:
        field = getattr(params, param)
        names = [f.name for f in call.state.custom_fields_of(event.account_id)]
        if field not in names:
            known = ", ".join(sorted(names)) or "none yet; create one with POST /api/custom-fields"
            message = f"unknown custom field {field!r} (this account has: {known})"
            raise ApiError(422, message, [ErrorDetail(loc=param, message=message)])
    variables = variables_for(call.state, event.account_id, event.integration_id)
    sources = [template_sources(name, getattr(params, name)) for name in params.templated]
    check_templates({loc: src for found in sources for loc, src in found.items()}, variables)
    if params.object_param is not None:
        spec, record = named_object(call, event, params)
        check_templates(spec.templates(record), variables, f" in {spec.label} {record.id}")
    if params.is_send():
        for action in call.state.actions_of(event.id):
            if action.is_send:
                raise ApiError(
                    409,
                    f"this event already has a send action ({action.type}"
                    f" {action.id}); delete it first",
                )


def named_object(
    call: Call, event: ConversionEvent, params: ActionParams
) -> tuple[ObjectKind, QuickReply | ChatbotFlow]:
    """The account object a send action names (422 when it is not the account's, or when
    the action gives its content instead: that comes from the object)."""
    assert params.object_param is not None
    param, kind = params.object_param
    spec = BY_KIND[kind]
    object_id = getattr(params, param)
    if object_id is None or params.model_fields_set - {"type", param}:
        message = (
            f"{params.type} takes {param} only: the id of one of the account's"
            f" {spec.plural} ({spec.path}), whose content the command"
            " carries when a webhook matches"
        )
        raise ApiError(422, message, [ErrorDetail(loc=param, message=message)])
    record = call.state.get(kind, object_id)
    if not isinstance(record, spec.record) or record.owner != event.account_id:
        known = (
            ", ".join(f"{r.id} ({r.name})" for r in spec.of(call.state, event.account_id))
            or f"none yet; create one with POST {spec.path}"
        )
        message = f"unknown {spec.label} {object_id!r} (this account has: {known})"
        raise ApiError(422, message, [ErrorDetail(loc=param, message=message)])
    return spec, record


async def create_action(call: Call) -> ActionOut:
    body: ActionIn = call.body
    event = owned_event(call)
    check_action(call, event, body.root)
    action = body.to_record(event, new_id("act"))
    await call.runtime.writer.put(action)
    return ActionOut.from_record(action)


async def delete_action(call: Call) -> None:
    event = owned_event(call)
    action = call.owned(Action, call.path("action_id"))
    if action.event_id != event.id:
        raise not_found("action")
    await call.runtime.writer.delete(action.key)
