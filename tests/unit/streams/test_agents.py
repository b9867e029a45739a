"""The webhook agent's pure parts: its guard (what the decision raises is a dead letter,
not a stopped worker: a payload that makes it raise would stop it at every restart) and
its commands' records."""

from __future__ import annotations

import pytest

from core.config.state import ConfigState
from schemas.commands import ActionCommand
from schemas.envelope import WebhookEnvelope
from schemas.types import utcnow
from streams import agents


def test_a_webhook_the_decision_raises_on_is_a_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(agents, "process_envelope", broken)
    envelope = WebhookEnvelope(
        request_id="req1",
        integration_id="int_1",
        account_id="acc_1",
        received_at=utcnow(),
        body=b"{}",
    )
    outcome = agents._decide(envelope, ConfigState(), duplicate=False)
    assert outcome.failure == "internal error: ZeroDivisionError"
    assert outcome.commands == [] and outcome.history.request_id == "req1"


def test_a_webhooks_commands_are_one_record_per_lead_in_order() -> None:
    def command(n: int, phone: str) -> ActionCommand:
        return ActionCommand(
            command_id=f"c{n}",
            account_id="acc_1",
            integration_id="int_1",
            request_id="req1",
            event_id="evt_1",
            action_id=f"act_{n}",
            type="add_tag",
            phone=phone,
            params={"type": "add_tag", "tag": f"t{n}"},
        )

    ana, bia = "+5511999990001", "+5511999990002"
    commands = [command(1, ana), command(2, bia), command(3, ana), command(4, ana)]
    records = agents.commands_by_lead(commands)
    assert {key: [c.command_id for c in cs] for key, cs in records.items()} == {
        f"acc_1:{ana}": ["c1", "c3", "c4"],
        f"acc_1:{bia}": ["c2"],
    }
    assert agents.commands_by_lead([]) == {}
