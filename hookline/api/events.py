"""Conversion events of an integration and their actions.

One send per delivery: an event has at most one send action, and two events of one
integration cannot share an identification (409 naming the other event), so one webhook
never matches two events. Events saved before this rule may: the worker then sends only
the first event's message, and the webhook's history names the send it skipped
(``streams/process.py``). An identification the platform's catalogue does not have is
saved, with a warning naming the close ones (``PURCHASE_APROVED``: ``PURCHASE_APPROVED``)."""

from __future__ import annotations

import difflib

from pydantic import ValidationError

from hookline.api.call import ApiError, Call, not_found
from hookline.api.fields import check_literal
from hookline.api.objects import BY_KIND, ObjectKind
from hookline.api.templates import check_templates, template_sources
from platforms import UnknownPlatformError, get_preset
from schemas.actions import ActionParams, parse_params
from schemas.api import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ErrorDetail,
    EventCreate,
    EventList,
    EventOut,
    EventPatch,
)
from schemas.config import Action, ChatbotFlow, ConversionEvent, Integration, QuickReply
from schemas.types import new_id, utcnow
from streams.templates import variables_for


def owned_event(call: Call) -> ConversionEvent:
    """The event in the path, which must belong to the integration in the path."""
    integration = call.owned(Integration, call.path("id"))
    event = call.owned(ConversionEvent, call.path("event_id"))
    if event.integration_id != integration.id:
        raise not_found("conversion_event")
    return event


def check_identification(call: Call, event: ConversionEvent) -> None:
    """409 when another event of the integration would match the same webhooks."""
    for other in call.state.events_of(event.integration_id):
        if other.id != event.id and other.overlaps(event):
            how = " (ignoring case)" if event.case_insensitive or other.case_insensitive else ""
            raise ApiError(
                409,
                f"event {other.id} ({other.name}) already matches {other.identification!r}"
                f"{how}: one webhook would trigger both; add the actions to that event",
            )


def catalogue_warnings(integration: Integration, event: ConversionEvent) -> list[str]:
    """A warning when the platform's catalogue lacks the identification, naming the
    close ones; none for a platform without a catalogue (``generic``, undocumented)."""
    try:
        preset = get_preset(integration.platform)
    except UnknownPlatformError:
        return []
    catalogue = list(preset.events)
    if not catalogue or any(event.matches(known) for known in catalogue):
        return []
    by_folded = {known.casefold(): known for known in catalogue}
    folded = event.identification.casefold()
    close = difflib.get_close_matches(folded, by_folded, n=3)
    if folded in by_folded:
        hint = f"the catalogue spells it {by_folded[folded]} (write it so, or set case_insensitive)"
    elif close:
        hint = f"close ones: {', '.join(by_folded[c] for c in close)}"
    else:
        hint = f"GET /api/platforms/{preset.id} lists its {len(catalogue)} events"
    return [
        f"{event.identification!r} is not in {preset.display_name}'s event catalogue"
        f" (saved anyway; it matches only if the platform sends it); {hint}"
    ]


async def create_event(call: Call) -> EventOut:
    body: EventCreate = call.body
    integration = call.owned(Integration, call.path("id"))
    event = ConversionEvent(
        id=new_id("evt"),
        account_id=integration.account_id,
        integration_id=integration.id,
        name=body.name,
        identification=body.identification,
        case_insensitive=body.case_insensitive,
    )
    check_identification(call, event)
    await call.runtime.writer.put(event)
    return EventOut.from_event(event, [], warnings=catalogue_warnings(integration, event))


async def update_event(call: Call) -> EventOut:
    body: EventPatch = call.body
    integration = call.owned(Integration, call.path("id"))
    event = owned_event(call)
    changes = body.changes()
    updated = event.model_copy(update=changes | {"updated_at": utcnow()})
    matching = {"identification", "case_insensitive"} & changes.keys()
    if matching:
        check_identification(call, updated)
    await call.runtime.writer.put(updated)
    warnings = catalogue_warnings(integration, updated) if matching else []
    return EventOut.from_event(updated, call.state.actions_of(event.id), warnings=warnings)


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


def check_action(
    call: Call, event: ConversionEvent, params: ActionParams, replacing: str | None = None
) -> None:
    """The rules that need config: a custom field it names exists, and a literal value
    fits the field's type; its templates use only the variables of the event's
    integration; the object it sends (a quick reply, a chatbot flow) is the account's, and
    so are the variables its templates use; one send action per event (``replacing``:
    the id of the action these parameters replace)."""
    if (param := params.custom_field_param) is not None:
        field = getattr(params, param)
        fields = {f.name: f for f in call.state.custom_fields_of(event.account_id)}
        if field not in fields:
            known = ", ".join(sorted(fields)) or "none yet; create one with POST /api/custom-fields"
            message = f"unknown custom field {field!r} (this account has: {known})"
            raise ApiError(422, message, [ErrorDetail(loc=param, message=message)])
        check_literal(fields[field].type, field, getattr(params, "value", None))
    variables = variables_for(call.state, event.account_id, event.integration_id)
    sources = [template_sources(name, getattr(params, name)) for name in params.templated]
    check_templates({loc: src for found in sources for loc, src in found.items()}, variables)
    if params.object_param is not None:
        spec, record = named_object(call, event, params)
        check_templates(spec.templates(record), variables, f" in {spec.label} {record.id}")
    if params.is_send():
        for action in call.state.actions_of(event.id):
            if action.is_send and action.id != replacing:
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


def owned_action(call: Call) -> tuple[ConversionEvent, Action]:
    event = owned_event(call)
    action = call.owned(Action, call.path("action_id"))
    if action.event_id != event.id:
        raise not_found("action")
    return event, action


def patched_params(action: Action, body: ActionPatch) -> ActionParams:
    """The action's parameters with the body's changes (another type: the body's only)."""
    changes = body.params()
    if body.type is not None and body.type != action.type:
        kept: dict[str, object] = {}
    else:
        kept = action.params.model_dump(exclude={"type"}, exclude_defaults=True)
    try:
        return parse_params(body.type or action.type, kept | changes)
    except ValidationError as exc:
        raise ApiError.invalid(exc, "request body") from None


async def update_action(call: Call) -> ActionOut:
    event, action = owned_action(call)
    params = patched_params(action, call.body)
    check_action(call, event, params, replacing=action.id)
    updated = action.model_copy(update={"params": params, "updated_at": utcnow()})
    await call.runtime.writer.put(updated)
    return ActionOut.from_record(updated)


async def delete_action(call: Call) -> None:
    _, action = owned_action(call)
    await call.runtime.writer.delete(action.key)
