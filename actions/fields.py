"""update_field: set a custom field of the lead (values are stored as text)."""

from __future__ import annotations

from actions.registry import register
from schemas.commands import ActionCommand
from schemas.leads import LeadState


@register("update_field")
def update_field(lead: LeadState, command: ActionCommand) -> None:
    lead.fields[command.params["field"]] = str(command.params.get("value") or "")
