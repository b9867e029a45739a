"""Action types: each one is one class here, and nothing anywhere else lists them.

A class holds what the API takes and the config topic keeps for an action of that
type (its parameters, validated), which parameters are templates rendered from
the mapped payload when a webhook matches, whether it is a send action (at most
one per conversion event, handed to the lead's message channel), its pt-BR label,
and what it does to a lead (:meth:`ActionParams.apply`, pure). The API input
union, ``ActionOut``, ``ActionType``, the send set, command rendering
(``streams/process.py``), the executor (``actions/executor.py``) and the message
records are all derived from :func:`action_types`.

Adding an action type is adding one class with ``@action_type``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.leads import LeadState
from schemas.types import Id

#: What a send action hands the channel; ``schemas.history.MessageSent`` records it.
MessageType = Literal["text", "chatbot", "quick_reply"]


@dataclass(frozen=True)
class WhatsAppTemplate:
    """A pre-approved WhatsApp template (Cloud API ``type: template``): what a send falls
    back to when free text is refused outside the 24-hour window."""

    name: str
    language: str = "pt_BR"
    #: The body's ``{{1}}``, ``{{2}}``, ... in order, already rendered.
    body_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """A message a channel must deliver to the lead. Each channel turns it into its
    provider's request (``actions/channels/``)."""

    message_type: MessageType
    #: The text (``text``, and the body of a ``quick_reply``), or the flow reference of
    #: a ``chatbot``.
    content: str
    #: ``quick_reply``: the reply buttons' titles (at most 3).
    buttons: tuple[str, ...] = ()
    #: ``chatbot``: the flow's start parameters.
    params: tuple[tuple[str, str], ...] = ()
    #: Sent instead of free text when the provider says the 24-hour window is closed.
    fallback: WhatsAppTemplate | None = None


class ActionParams(BaseModel):
    """The parameters of one action; subclasses are the action types."""

    # As every API input: unknown fields refused, surrounding white space stripped.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    type: str
    #: Shown in the console (pt-BR, the labels the account owners know).
    label: ClassVar[str]
    #: Parameters that may hold templates (``{{name}}``, ``{{fields.product}}``),
    #: rendered from the mapped payload when the command is built.
    templated: ClassVar[tuple[str, ...]] = ()
    #: The parameter that names one of the account's custom fields (checked when
    #: the action is written; the field cannot be deleted while an action uses it).
    custom_field_param: ClassVar[str | None] = None
    #: ``(parameter, config kind)``: the parameter that holds the id of one of the
    #: account's objects (a quick reply, a chatbot flow). Checked when the action is
    #: written, kept while an action uses it, and resolved into the command when a
    #: webhook matches (its content, templates rendered: ``streams/process.py``).
    object_param: ClassVar[tuple[str, str] | None] = None
    #: The message type a send action hands the channel; None: not a send action.
    message_type: ClassVar[MessageType | None] = None

    @classmethod
    def is_send(cls) -> bool:
        return cls.message_type is not None

    def apply(self, lead: LeadState) -> Outgoing | None:
        """Change ``lead`` (a copy the caller owns); a send returns its message."""
        raise NotImplementedError


_TYPES: dict[str, type[ActionParams]] = {}


def action_type(cls: type[ActionParams]) -> type[ActionParams]:
    """Register an action type under its ``type`` literal (once)."""
    (name,) = cls.model_fields["type"].annotation.__args__  # type: ignore[union-attr]
    if name in _TYPES:
        raise ValueError(f"action type {name!r} already registered")
    _TYPES[name] = cls
    return cls


def action_types() -> dict[str, type[ActionParams]]:
    """Every action type by name, in declaration order."""
    return dict(_TYPES)


def params_class(name: str) -> type[ActionParams]:
    try:
        return _TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown action type {name!r}, expected one of: {', '.join(_TYPES)}"
        ) from None


Tag = Annotated[str, Field(min_length=1, max_length=100)]


@action_type
class AddTag(ActionParams):
    label = "Adicionar etiqueta"
    type: Literal["add_tag"]
    tag: Tag

    def apply(self, lead: LeadState) -> None:
        if self.tag not in lead.tags:
            lead.tags.append(self.tag)


@action_type
class RemoveTag(ActionParams):
    label = "Remover etiqueta"
    type: Literal["remove_tag"]
    tag: Tag

    def apply(self, lead: LeadState) -> None:
        if self.tag in lead.tags:
            lead.tags.remove(self.tag)


@action_type
class UpdateField(ActionParams):
    label = "Atualizar campo personalizado"
    templated = ("value",)
    custom_field_param = "field"
    type: Literal["update_field"]
    #: The name of one of the account's custom fields.
    field: str = Field(min_length=1, max_length=100)
    #: A literal or a template such as ``{{fields.product}}`` or ``{{name}}``; "" clears.
    value: str = Field(max_length=1000)

    def apply(self, lead: LeadState) -> None:
        lead.fields[self.field] = self.value


@action_type
class RemoveField(ActionParams):
    """Takes a custom field off the lead (``update_field`` with "" keeps it, empty)."""

    label = "Remover campo personalizado"
    custom_field_param = "field"
    type: Literal["remove_field"]
    #: The name of one of the account's custom fields.
    field: str = Field(min_length=1, max_length=100)

    def apply(self, lead: LeadState) -> None:
        lead.fields.pop(self.field, None)


class _Send(ActionParams):
    """A send action: hands the channel the parameter ``content_param`` as a message of
    ``message_type``."""

    content_param: ClassVar[str]

    def apply(self, lead: LeadState) -> Outgoing:
        assert self.message_type is not None
        return Outgoing(self.message_type, getattr(self, self.content_param))


#: Filled in the command from the object the action names (the API refuses them as input).
_RESOLVED = {"readOnly": True}


class _SendObject(_Send):
    """A send of one of the account's objects, named by id (``object_param``). The
    action keeps the id; the command carries the object's content as it was when the
    webhook matched (a later edit changes no command already emitted). Actions saved
    before the objects existed hold the content itself (``content_param``), and still run."""

    @model_validator(mode="after")
    def _names_its_object(self) -> _SendObject:
        assert self.object_param is not None
        param = self.object_param[0]
        if getattr(self, param) is None and getattr(self, self.content_param) is None:
            raise ValueError(f"{param} is required")
        return self


@action_type
class SendChatbot(_SendObject):
    label = "Enviar chatbot"
    message_type = "chatbot"
    content_param = "flow"
    object_param = ("chatbot_id", "chatbot_flow")
    type: Literal["send_chatbot"]
    #: One of the account's chatbot flows (``POST /api/chatbot-flows``).
    chatbot_id: Id | None = None
    #: The flow reference (the CRM's flow id or the provider's template/flow): the flow's,
    #: in a command; the action's own in actions saved before chatbot flows existed.
    flow: str | None = Field(
        default=None, min_length=1, max_length=200, json_schema_extra=_RESOLVED
    )
    #: The flow's start parameters, rendered (in a command).
    start_params: dict[str, str] = Field(default_factory=dict, json_schema_extra=_RESOLVED)

    def apply(self, lead: LeadState) -> Outgoing:
        return Outgoing("chatbot", self.flow or "", params=tuple(self.start_params.items()))


class FallbackTemplate(BaseModel):
    """A pre-approved WhatsApp template, sent instead of a text the provider refuses
    because the 24-hour window is closed (Cloud API 131047)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    #: The template's name as approved in WhatsApp Manager.
    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(default="pt_BR", min_length=2, max_length=15)
    #: The body's ``{{1}}``, ``{{2}}``, ... in order; each may hold templates (``{{name}}``).
    body_params: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=20
    )


@action_type
class SendMessage(_Send):
    label = "Mensagem personalizada"
    templated = ("text", "fallback_template")
    message_type = "text"
    content_param = "text"
    type: Literal["send_message"]
    #: May hold templates, e.g. ``Oi {{name}}``.
    text: str = Field(min_length=1, max_length=4096)
    #: Sent instead when the window is closed; its body parameters are templates too.
    #: Left out of the parameters when not set.
    fallback_template: FallbackTemplate | None = Field(
        default=None, exclude_if=lambda value: value is None
    )

    def apply(self, lead: LeadState) -> Outgoing:
        fallback = self.fallback_template
        template = (
            WhatsAppTemplate(fallback.name, fallback.language, tuple(fallback.body_params))
            if fallback is not None
            else None
        )
        return Outgoing("text", self.text, fallback=template)


@action_type
class SendQuickReply(_SendObject):
    label = "Enviar resposta rápida"
    message_type = "quick_reply"
    content_param = "quick_reply"
    object_param = ("quick_reply_id", "quick_reply")
    type: Literal["send_quick_reply"]
    #: One of the account's quick replies (``POST /api/quick-replies``).
    quick_reply_id: Id | None = None
    #: The text: the quick reply's, rendered, in a command; the action's own in actions
    #: saved before quick replies existed.
    quick_reply: str | None = Field(
        default=None, min_length=1, max_length=4096, json_schema_extra=_RESOLVED
    )
    #: The reply buttons' titles (in a command).
    buttons: tuple[str, ...] = Field(default=(), max_length=3, json_schema_extra=_RESOLVED)

    def apply(self, lead: LeadState) -> Outgoing:
        return Outgoing("quick_reply", self.quick_reply or "", buttons=self.buttons)


# -- derived from the registry (after every class above) ------------------------------
ACTION_TYPES: tuple[str, ...] = tuple(_TYPES)
ActionType = Literal[ACTION_TYPES]  # type: ignore[valid-type]
SEND_ACTIONS: frozenset[str] = frozenset(n for n, c in _TYPES.items() if c.is_send())
AnyActionParams = Annotated[
    Union[tuple(_TYPES.values())],  # type: ignore[valid-type]  # noqa: UP007
    Field(discriminator="type"),
]


def parse_params(type_name: str, params: dict[str, Any]) -> ActionParams:
    """An action's parameters as its type's class (raises ValueError when invalid)."""
    return params_class(type_name).model_validate({**params, "type": type_name})
