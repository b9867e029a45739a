"""One executor per action type, registered by name.

An executor is a pure function ``(lead, command) -> Outgoing | None``: it changes
the lead (a copy owned by the caller) and may ask for a message to be sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from schemas.commands import ActionCommand
from schemas.leads import LeadState


@dataclass(frozen=True)
class Outgoing:
    """A message a channel must deliver to the lead."""

    message_type: Literal["text", "chatbot", "quick_reply"]
    content: str


Executor = Callable[[LeadState, ActionCommand], Outgoing | None]
_EXECUTORS: dict[str, Executor] = {}


def register(*action_types: str) -> Callable[[Executor], Executor]:
    def decorate(fn: Executor) -> Executor:
        for action_type in action_types:
            if action_type in _EXECUTORS:
                raise ValueError(f"executor for {action_type!r} already registered")
            _EXECUTORS[action_type] = fn
        return fn

    return decorate


def executor_for(action_type: str) -> Executor:
    try:
        return _EXECUTORS[action_type]
    except KeyError:
        known = ", ".join(sorted(_EXECUTORS))
        raise KeyError(f"no executor for {action_type!r}, expected one of: {known}") from None
