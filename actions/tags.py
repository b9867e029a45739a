"""add_tag / remove_tag."""

from __future__ import annotations

from actions.registry import register
from schemas.commands import ActionCommand
from schemas.leads import LeadState


@register("add_tag")
def add_tag(lead: LeadState, command: ActionCommand) -> None:
    tag = command.params["tag"]
    if tag not in lead.tags:
        lead.tags.append(tag)


@register("remove_tag")
def remove_tag(lead: LeadState, command: ActionCommand) -> None:
    tag = command.params["tag"]
    if tag in lead.tags:
        lead.tags.remove(tag)
