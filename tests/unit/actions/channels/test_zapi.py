"""The Z-API channel's pure parts: requests and the classification of every answer
(actions/channels/zapi.py)."""

from __future__ import annotations

import json

import pytest

from actions.channels.base import Delivery
from actions.channels.http import Answer
from actions.channels.zapi import classify, request
from schemas.actions import Outgoing
from tests.unit.actions.channels.test_whatsapp_cloud import COMMAND


def test_a_text_is_send_text() -> None:
    assert request(COMMAND, Outgoing("text", "Oi Ana")) == (
        "send-text",
        {"phone": "5511988887777", "message": "Oi Ana"},
    )


def test_a_quick_reply_is_a_button_list() -> None:
    assert request(COMMAND, Outgoing("quick_reply", "Z-API é bom?", ("Sim", "Não"))) == (
        "send-button-list",
        {
            "phone": "5511988887777",
            "message": "Z-API é bom?",
            "buttonList": {"buttons": [{"id": "1", "label": "Sim"}, {"id": "2", "label": "Não"}]},
        },
    )
    assert request(COMMAND, Outgoing("quick_reply", "Oi"))[0] == "send-text"  # type: ignore[index]
    refused = request(COMMAND, Outgoing("chatbot", "flow-1"))
    assert isinstance(refused, Delivery) and refused.verdict == "fatal"


def test_the_documented_success_is_sent_with_the_whatsapp_id() -> None:
    body = {"zaapId": "3999984263738042930CD6ECDE9VDWSA", "messageId": "D241XXXX732339502B68"}
    delivery = classify(Answer(200, {}, json.dumps(body | {"id": "D241XXXX732339502B68"})))
    assert (delivery.verdict, delivery.provider_message_id) == ("sent", "D241XXXX732339502B68")


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, {"error": "You are not connected."}, "fatal"),
        (400, {"error": "your client-token is not configured"}, "auth"),
        (400, {"error": "Client-Token F0 not allowed"}, "auth"),
        (401, {}, "auth"),
        (403, {"error": "forbidden"}, "auth"),
        (404, {"error": "Instance not found"}, "fatal"),
        (405, {}, "fatal"),  # documented: wrong method
        (415, {}, "fatal"),  # documented: no JSON content type
        (429, {}, "rate_limited"),
        (500, {"error": "internal"}, "retryable"),
    ],
)
def test_errors(status: int, body: dict, verdict: str) -> None:
    assert classify(Answer(status, {}, json.dumps(body))).verdict == verdict
