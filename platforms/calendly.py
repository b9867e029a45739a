"""Calendly API v2 webhooks: {event, created_at, created_by, payload{invitee fields}}.

Source: https://developer.calendly.com/api-docs/calendly-api/webhooks/get-sample-webhook-data
(event names) and the Invitee model (name, first_name, last_name, email,
text_reminder_number, questions_and_answers) of the Calendly API v2 reference.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object, text
from schemas.mapping import Mapping

PRESET = Preset(
    id="calendly",
    display_name="Calendly",
    signature_scheme="calendly",
    event="event",
    mapping=Mapping(
        event="event",
        name="payload.name || join(' ', [payload.first_name, payload.last_name][?@])",
        # Only present when the invitee asked for SMS reminders.
        phone="payload.text_reminder_number",
        fields={
            "email": "payload.email",
            "status": "payload.status",
            "scheduled_event": "payload.scheduled_event.name",
            "start_time": "payload.scheduled_event.start_time",
        },
        default_region="BR",
    ),
    # payload.uri is the invitee, shared by invitee.created and invitee.canceled: not a
    # delivery id. Dedup falls back to the body hash.
    delivery_id=None,
    events={
        "invitee.created": "Agendamento criado",
        "invitee.canceled": "Agendamento cancelado",
        "invitee_no_show.created": "Convidado não compareceu",
        "invitee_no_show.deleted": "Não comparecimento removido",
        "routing_form_submission.created": "Formulário de roteamento enviado",
    },
    documented=True,
    source="https://developer.calendly.com/api-docs/calendly-api/webhooks/get-sample-webhook-data",
    notes=(
        "A rescheduling sends invitee.canceled then invitee.created. The phone is "
        "text_reminder_number (SMS reminders only); a phone asked as a custom question lives in "
        "payload.questions_and_answers and needs a custom mapping."
    ),
    covers=(
        "API v2 webhooks: invitee.created / invitee.canceled (payload.name, payload.email, "
        "text_reminder_number)",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "calendly-webhook-signature" in headers:
        return 0.99, "Calendly-Webhook-Signature header"
    if text(body.get("created_by")).startswith("https://api.calendly.com/"):
        return 0.95, "created_by is an api.calendly.com URI"
    event = text(body.get("event"))
    if event.startswith(("invitee.", "invitee_no_show.", "routing_form_submission.")) and (
        is_object(body.get("payload"))
    ):
        return 0.85, f"event '{event}' with a payload object"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
