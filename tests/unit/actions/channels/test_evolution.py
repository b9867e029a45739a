"""The Evolution API v2 channel's pure parts: requests and the classification of every
answer (actions/channels/evolution.py)."""

from __future__ import annotations

import json

import pytest

from actions.channels.base import Delivery
from actions.channels.evolution import classify, request
from actions.channels.http import Answer
from schemas.actions import Outgoing
from tests.unit.actions.channels.test_whatsapp_cloud import COMMAND


def _error(status: int, error: str, message: object) -> Answer:
    """Evolution's error handler: {"status", "error", "response": {"message"}}."""
    body = {"status": status, "error": error, "response": {"message": message}}
    return Answer(status, {}, json.dumps(body))


def test_a_text_is_send_text_with_digits() -> None:
    assert request(COMMAND, Outgoing("text", "Oi Ana")) == (
        "sendText",
        {"number": "5511988887777", "text": "Oi Ana"},
    )


def test_a_quick_reply_is_reply_buttons_or_a_listed_text() -> None:
    outgoing = Outgoing("quick_reply", "Quer ajuda?", ("Sim", "Não"))
    assert request(COMMAND, outgoing) == (
        "sendButtons",
        {
            "number": "5511988887777",
            "description": "Quer ajuda?",
            "buttons": [
                {"type": "reply", "displayText": "Sim", "id": "1"},
                {"type": "reply", "displayText": "Não", "id": "2"},
            ],
        },
    )
    endpoint, body = request(COMMAND, outgoing, reply_buttons=False)  # type: ignore[misc]
    assert endpoint == "sendText" and body["text"] == "Quer ajuda?\n\n1. Sim\n2. Não"


def test_a_chatbot_is_not_sent_through_evolution() -> None:
    refused = request(COMMAND, Outgoing("chatbot", "flow-1"))
    assert isinstance(refused, Delivery) and refused.verdict == "fatal"


def test_a_created_message_is_sent_with_its_key_id() -> None:
    body = {
        "key": {"remoteJid": "5511988887777@s.whatsapp.net", "fromMe": True, "id": "BAE5F5A6"},
        "message": {"extendedTextMessage": {"text": "Oi Ana"}},
        "messageTimestamp": "1717689097",
        "status": "PENDING",
    }
    delivery = classify(Answer(201, {}, json.dumps(body)))
    assert (delivery.verdict, delivery.provider_message_id) == ("sent", "BAE5F5A6")


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        # sendMessageWithTyping: the number is not on WhatsApp
        (
            _error(400, "Bad Request", [{"jid": "551100@s.whatsapp.net", "exists": False}]),
            "invalid_recipient",
        ),
        (_error(400, "Bad Request", ["text must be a string"]), "fatal"),
        (_error(401, "Unauthorized", "Unauthorized"), "auth"),
        (_error(403, "Forbidden", "Missing global api key"), "auth"),
        (_error(404, "Not Found", ['The "loja" instance does not exist']), "fatal"),
        (_error(429, "Too Many Requests", "slow down"), "rate_limited"),
        (_error(500, "Internal Server Error", "Connection Closed"), "retryable"),
        (Answer(502, {}, "bad gateway"), "retryable"),
    ],
)
def test_errors(answer: Answer, verdict: str) -> None:
    assert classify(answer).verdict == verdict
