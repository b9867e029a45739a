"""Quick replies and chatbot flows: what ``send_quick_reply`` and ``send_chatbot`` actions
name by id (config records ``quick_reply:<id>`` and ``chatbot_flow:<id>``).

Their templates are checked when they are saved: against every variable the account's
integrations offer, and against each integration whose actions send them. One in use
cannot be deleted (409 naming the actions). An edit changes the messages of webhooks
matched from then on: a command carries the content as it was when its webhook matched."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from core.config.state import ConfigState
from hookline.api.call import LABELS, ApiError, Call
from hookline.api.templates import check_templates
from schemas.api import ChatbotFlowList, ChatbotFlowOut, QuickReplyList, QuickReplyOut
from schemas.config import ChatbotFlow, QuickReply
from schemas.types import new_id, utcnow
from streams.templates import variables_for

Record = QuickReply | ChatbotFlow


@dataclass(frozen=True)
class ObjectKind:
    record: type[Record]
    out: type[QuickReplyOut] | type[ChatbotFlowOut]
    listing: type[QuickReplyList] | type[ChatbotFlowList]
    id_prefix: str
    #: The API path that creates one, and what it creates (for messages).
    path: str
    plural: str
    #: The account's, oldest first.
    of: Callable[[ConfigState, str], list[Any]]
    #: Its templates, by where they are (an error's ``loc``).
    templates: Callable[[Any], dict[str, str]]

    @property
    def kind(self) -> str:
        return self.record.model_fields["kind"].default

    @property
    def label(self) -> str:
        return LABELS[self.kind]


QUICK_REPLIES = ObjectKind(
    QuickReply,
    QuickReplyOut,
    QuickReplyList,
    "qr",
    "/api/quick-replies",
    "quick replies",
    ConfigState.quick_replies_of,
    lambda r: {"text": r.text},
)
CHATBOT_FLOWS = ObjectKind(
    ChatbotFlow,
    ChatbotFlowOut,
    ChatbotFlowList,
    "bot",
    "/api/chatbot-flows",
    "chatbot flows",
    ConfigState.chatbot_flows_of,
    lambda r: {f"start_params.{name}": value for name, value in r.start_params.items()},
)
BY_KIND = {kind.kind: kind for kind in (QUICK_REPLIES, CHATBOT_FLOWS)}


def object_out(call: Call, spec: ObjectKind, record: Record) -> Any:
    used_by = [a.id for a in call.state.actions_using(spec.kind, record.id)]
    return spec.out.from_record(record, used_by=used_by)


def check_object(call: Call, spec: ObjectKind, record: Record) -> None:
    """422 unless its templates may be saved: for the account (any integration), and for
    each integration whose actions send it."""
    state = call.state
    check_templates(spec.templates(record), variables_for(state, record.account_id))
    for action in state.actions_using(spec.kind, record.id):
        check_templates(
            spec.templates(record),
            variables_for(state, record.account_id, action.integration_id),
            f" for action {action.id} of integration {action.integration_id}",
        )


async def _create(call: Call, spec: ObjectKind) -> Any:
    fields = call.body.model_dump()
    record = spec.record(id=new_id(spec.id_prefix), account_id=call.account.id, **fields)
    check_object(call, spec, record)
    await call.runtime.writer.put(record)
    return object_out(call, spec, record)


async def _list(call: Call, spec: ObjectKind) -> Any:
    found = spec.of(call.state, call.account.id)
    return spec.listing(items=[object_out(call, spec, r) for r in found])


async def _get(call: Call, spec: ObjectKind) -> Any:
    return object_out(call, spec, call.owned(spec.record, call.path("id")))


async def _update(call: Call, spec: ObjectKind) -> Any:
    record = call.owned(spec.record, call.path("id"))
    if changes := call.body.changes():
        try:
            record = spec.record.model_validate(
                record.model_dump() | changes | {"updated_at": utcnow()}
            )
        except ValidationError as exc:
            raise ApiError.invalid(exc, "request body") from None
        check_object(call, spec, record)
        await call.runtime.writer.put(record)
    return object_out(call, spec, record)


async def _delete(call: Call, spec: ObjectKind) -> None:
    record = call.owned(spec.record, call.path("id"))
    if users := call.state.actions_using(spec.kind, record.id):
        ids = ", ".join(a.id for a in users)
        raise ApiError(
            409,
            f"{spec.label} {record.name!r} is sent by actions {ids}; delete those actions first",
        )
    await call.runtime.writer.delete(record.key)


def _bound(
    operation: Callable[[Call, ObjectKind], Awaitable[Any]], spec: ObjectKind, name: str
) -> Callable[[Call], Awaitable[Any]]:
    """``operation`` for one kind, named for its route (the OpenAPI operation id)."""

    async def handler(call: Call) -> Any:
        return await operation(call, spec)

    handler.__name__ = handler.__qualname__ = name
    return handler


create_quick_reply = _bound(_create, QUICK_REPLIES, "create_quick_reply")
list_quick_replies = _bound(_list, QUICK_REPLIES, "list_quick_replies")
get_quick_reply = _bound(_get, QUICK_REPLIES, "get_quick_reply")
update_quick_reply = _bound(_update, QUICK_REPLIES, "update_quick_reply")
delete_quick_reply = _bound(_delete, QUICK_REPLIES, "delete_quick_reply")
create_chatbot_flow = _bound(_create, CHATBOT_FLOWS, "create_chatbot_flow")
list_chatbot_flows = _bound(_list, CHATBOT_FLOWS, "list_chatbot_flows")
get_chatbot_flow = _bound(_get, CHATBOT_FLOWS, "get_chatbot_flow")
update_chatbot_flow = _bound(_update, CHATBOT_FLOWS, "update_chatbot_flow")
delete_chatbot_flow = _bound(_delete, CHATBOT_FLOWS, "delete_chatbot_flow")
