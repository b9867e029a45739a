"""The webhook agent's guard: what the pure decision raises is a dead letter, not a
stopped worker (a payload that makes it raise would stop it at every restart)."""

from __future__ import annotations

import pytest

from core.config.state import ConfigState
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
