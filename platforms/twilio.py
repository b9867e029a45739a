"""Twilio messaging webhooks: form-encoded POST (From, To, Body, MessageSid, SmsStatus, ...).

Source: github:twilio/twilio-python tests/unit/test_request_validator.py @ 306691e and
https://www.twilio.com/docs/messaging/guides/webhook-request (request parameters).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset
from schemas.mapping import Mapping

PRESET = Preset(
    id="twilio",
    display_name="Twilio",
    signature_scheme="twilio",
    event="SmsStatus || MessageStatus || CallStatus",
    mapping=Mapping(
        event="SmsStatus || MessageStatus || CallStatus",
        # WhatsApp senders add ProfileName; SMS carries no name, so the number stands in.
        name="ProfileName || From",
        phone="From",
        fields={"body": "Body", "to": "To", "message_sid": "MessageSid"},
        default_region="BR",
    ),
    delivery_id="MessageSid || SmsSid || CallSid",
    events={
        "received": "Mensagem recebida",
        "queued": "Mensagem na fila",
        "sent": "Mensagem enviada",
        "delivered": "Mensagem entregue",
        "read": "Mensagem lida",
        "undelivered": "Mensagem não entregue",
        "failed": "Mensagem falhou",
    },
    documented=True,
    source="https://www.twilio.com/docs/messaging/guides/webhook-request",
    notes=(
        "No event field: the configured URL decides incoming vs status callback; SmsStatus is "
        "the closest thing. From is E.164 ('whatsapp:+55...' for WhatsApp senders). No email."
    ),
    covers=("Messaging webhooks: incoming SMS / WhatsApp (form post: From, Body, SmsStatus)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    sids = [key for key in ("MessageSid", "SmsSid", "CallSid") if key in body]
    if "x-twilio-signature" in headers:
        return 0.99, "X-Twilio-Signature header"
    if "AccountSid" in body and sids:
        return 0.95, f"AccountSid + {sids[0]}"
    if sids and "From" in body and "To" in body:
        return 0.8, f"{sids[0]} with From/To"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
