"""The generic HTTP channel's pure parts: its body (shape fixed by issue 10) and the
classification of every answer (actions/channels/generic_http.py)."""

from __future__ import annotations

import pytest

from actions.channels.generic_http import classify, request_body
from actions.channels.http import Answer
from schemas.actions import Outgoing
from schemas.leads import LeadState
from tests.unit.actions.channels.test_whatsapp_cloud import COMMAND

LEAD = LeadState(account_id="acc_1", phone="+5511988887777", name="Ana", tags=["vip"])


def test_the_body_adds_buttons_and_params_only_when_there_are_some() -> None:
    assert request_body(COMMAND, Outgoing("text", "Oi"), LEAD) == {
        "command_id": "c0ffee",
        "phone": "+5511988887777",
        "type": "text",
        "content": "Oi",
        "lead": {"name": "Ana", "tags": ["vip"], "fields": {}},
    }
    quick = request_body(COMMAND, Outgoing("quick_reply", "Oi", ("Sim",)), LEAD)
    assert quick["buttons"] == ["Sim"] and "params" not in quick
    chatbot = request_body(COMMAND, Outgoing("chatbot", "f-1", params=(("a", "1"),)), LEAD)
    assert chatbot["params"] == {"a": "1"} and "buttons" not in chatbot


@pytest.mark.parametrize(
    ("answer", "verdict", "message_id"),
    [
        (Answer(200, {}, '{"id": "m-1"}'), "sent", "m-1"),
        (Answer(202, {}, '{"message_id": "m-2"}'), "sent", "m-2"),
        (Answer(204, {}, ""), "sent", ""),
        (Answer(200, {}, "[1, 2]"), "sent", ""),
        (Answer(429, {"Retry-After": "3"}, ""), "rate_limited", ""),
        (Answer(401, {}, "no"), "auth", ""),
        (Answer(500, {}, "oops"), "retryable", ""),
        (Answer(503, {}, ""), "retryable", ""),
        (Answer(400, {}, "bad"), "fatal", ""),
        (Answer(403, {}, "forbidden"), "fatal", ""),
    ],
)
def test_classification(answer: Answer, verdict: str, message_id: str) -> None:
    delivery = classify(answer)
    assert (delivery.verdict, delivery.provider_message_id) == (verdict, message_id)
