"""The WhatsApp Cloud API channel's pure parts: request bodies and the classification
of every answer (actions/channels/whatsapp_cloud.py)."""

from __future__ import annotations

import json

import pytest

from actions.channels.http import Answer
from actions.channels.whatsapp_cloud import classify, message_body, template_body
from schemas.actions import Outgoing
from schemas.commands import ActionCommand

COMMAND = ActionCommand(
    command_id="c0ffee",
    account_id="acc_1",
    integration_id="int_1",
    request_id="r1",
    event_id="conversion_1",
    action_id="action_1",
    type="send_message",
    phone="+5511988887777",
    params={"text": "Oi"},
)


def _error(status: int, code: int, message: str = "(#x) title", details: str = "") -> Answer:
    """A Graph API error as Meta documents it (support/error-codes)."""
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
        }
    }
    return Answer(status, {}, json.dumps(body))


def test_a_text_carries_the_command_id_and_no_plus() -> None:
    body = message_body(COMMAND, Outgoing("text", "Oi Ana"))
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511988887777",
        "biz_opaque_callback_data": "c0ffee",
        "type": "text",
        "text": {"preview_url": False, "body": "Oi Ana"},
    }


def test_a_quick_reply_is_up_to_three_reply_buttons_with_short_titles() -> None:
    outgoing = Outgoing("quick_reply", "Quer ajuda?", ("Sim", "Não", "Falar com atendente", "4"))
    body = message_body(COMMAND, outgoing)
    assert body["type"] == "interactive"
    interactive = body["interactive"]
    assert interactive["type"] == "button" and interactive["body"] == {"text": "Quer ajuda?"}
    buttons = interactive["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Sim", "Não", "Falar com atendente"[:20]]
    assert len({b["reply"]["id"] for b in buttons}) == 3
    assert all(b["type"] == "reply" for b in buttons)
    # No buttons: a plain text.
    assert message_body(COMMAND, Outgoing("quick_reply", "Oi"))["type"] == "text"


def test_templates_have_their_body_parameters_in_order() -> None:
    body = template_body(COMMAND, "pedido_cancelado", "pt_BR", ("Ana", "Curso"))
    assert body["type"] == "template" and body["biz_opaque_callback_data"] == "c0ffee"
    assert body["template"] == {
        "name": "pedido_cancelado",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "Curso"}],
            }
        ],
    }
    assert "components" not in template_body(COMMAND, "oi", "pt_BR", ())["template"]
    chatbot = message_body(COMMAND, Outgoing("chatbot", "boas_vindas", params=(("a", "1"),)), "en")
    assert chatbot["template"]["name"] == "boas_vindas"
    assert chatbot["template"]["language"] == {"code": "en"}


def test_a_success_is_sent_with_the_wamid() -> None:
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "5511988887777", "wa_id": "5511988887777"}],
        "messages": [{"id": "wamid.HBgLNTUxMTk4ODg4Nzc3NxUCABEYEjQ="}],
    }
    delivery = classify(Answer(200, {}, json.dumps(body)))
    assert delivery.verdict == "sent"
    assert delivery.provider_message_id == "wamid.HBgLNTUxMTk4ODg4Nzc3NxUCABEYEjQ="


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (400, 130429, "rate_limited"),  # throughput reached
        (400, 131056, "rate_limited"),  # (business, consumer) pair rate limit
        (400, 80007, "rate_limited"),  # WABA rate limit
        (400, 4, "rate_limited"),  # app call rate limit
        (400, 131047, "window_closed"),  # re-engagement: 24 hours since the last reply
        (400, 131026, "invalid_recipient"),  # message undeliverable
        (401, 190, "auth"),  # access token expired
        (401, 0, "auth"),
        (403, 10, "auth"),  # permission denied
        (403, 200, "auth"),
        (500, 131000, "retryable"),  # something went wrong
        (503, 131016, "retryable"),  # service unavailable
        (503, 133004, "retryable"),
        (400, 1, "retryable"),  # API unknown
        (503, 2, "retryable"),  # API service
        (400, 131048, "fatal"),  # spam rate limit: hours, not seconds
        (400, 131049, "fatal"),  # per-user marketing limit
        (400, 100, "fatal"),  # invalid parameter
        (400, 132001, "fatal"),  # template does not exist
        (500, 999999, "retryable"),  # unknown code: by HTTP status
        (429, 999999, "rate_limited"),
    ],
)
def test_errors_are_classified_by_code(status: int, code: int, verdict: str) -> None:
    delivery = classify(_error(status, code, "(#131047) Re-engagement message", "More than 24h"))
    assert delivery.verdict == verdict
    assert f"code {code}" in delivery.detail and "Re-engagement" in delivery.detail


def test_answers_without_a_graph_error_fall_back_to_the_http_status() -> None:
    assert classify(Answer(502, {}, "<html>Bad gateway</html>")).verdict == "retryable"
    assert classify(Answer(401, {}, "")).verdict == "auth"
    limited = classify(Answer(429, {"Retry-After": "7"}, ""))
    assert limited.verdict == "rate_limited" and limited.retry_after == 7.0
    assert classify(Answer(404, {}, "not found")).verdict == "fatal"
