"""Send actions: they leave the lead unchanged and ask the channel to deliver."""

from __future__ import annotations

from actions.registry import Outgoing, register
from schemas.commands import ActionCommand
from schemas.leads import LeadState


@register("send_message")
def send_message(lead: LeadState, command: ActionCommand) -> Outgoing:
    return Outgoing("text", command.params["text"])


@register("send_chatbot")
def send_chatbot(lead: LeadState, command: ActionCommand) -> Outgoing:
    return Outgoing("chatbot", command.params["flow"])


@register("send_quick_reply")
def send_quick_reply(lead: LeadState, command: ActionCommand) -> Outgoing:
    return Outgoing("quick_reply", command.params["quick_reply"])
