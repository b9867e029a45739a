"""Typeform webhooks: {event_id, event_type: "form_response", form_response{form_id,
definition{title, fields[]}, answers[], hidden, ...}}.

Each answer says its type (``phone_number``, ``email``, ``text``, ...) and its field (``id``,
``ref``, ``type``); questions' titles are in ``definition.fields``. The mapping reads answers
by type, not by position: the phone is the first ``phone_number`` answer, the e-mail the
first ``email`` answer, the name the first text answer whose field ``ref`` says name/nome
(or a hidden field ``name``/``nome``). A form's own title is never the lead's name.

Sources: Typeform Developers, "Webhooks > Example payload"
(https://www.typeform.com/developers/webhooks/example-payload/) and "Secure your webhooks"
(``Typeform-Signature``, ingest/verify/typeform.py); deliveries in public test suites with
the same shape (tests/fixtures/platforms/typeform__form_response.json).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, is_object
from schemas.mapping import Mapping

_ANSWERS = "form_response.answers"
_NAMED = (
    f"{_ANSWERS}[?type=='text' && contains(['name', 'nome', 'full_name', 'nome_completo',"
    " 'first_name', 'seu_nome'], field.ref)].text | [0]"
)

PRESET = Preset(
    id="typeform",
    display_name="Typeform",
    signature_scheme="typeform",
    event="event_type",
    mapping=Mapping(
        event="event_type",
        name=(_NAMED, "form_response.hidden.name", "form_response.hidden.nome"),
        phone=(
            f"{_ANSWERS}[?type=='phone_number'].phone_number | [0]",
            "form_response.hidden.phone",
            "form_response.hidden.whatsapp",
        ),
        fields={
            "email": (f"{_ANSWERS}[?type=='email'].email | [0]", "form_response.hidden.email"),
            "form": "form_response.definition.title",
            "transaction_id": "form_response.token",
        },
        default_region="BR",
    ),
    delivery_id="event_id",
    events={"form_response": "Resposta de formulário"},
    documented=True,
    source="https://www.typeform.com/developers/webhooks/example-payload/",
    notes=(
        "Questions are the form owner's: the name is found only when its field ref says so "
        "(name, nome, full_name, ...) or a hidden field carries it; otherwise pick the answer "
        "in the suggested mapping (which reads the questions' titles)."
    ),
    covers=(
        "form_response: answers by type (phone_number, email), name by field ref or hidden field",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "typeform-signature" in headers:
        return 0.99, "Typeform-Signature header"
    response = body.get("form_response")
    if body.get("event_type") == "form_response" and is_object(response):
        return 0.95, "event_type form_response with a form_response block"
    if is_object(response) and dig(body, "form_response", "answers") is not None:
        return 0.85, "form_response.answers"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
