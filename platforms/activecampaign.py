"""ActiveCampaign webhooks: form-encoded POST with bracketed keys (type, contact[...]).

Sources: https://developers.activecampaign.com/page/webhooks (official: data arrives as POST
parameters, "at least once", never retried); the per-field list as transcribed from the
official pages in github:api-evangelist/activecampaign asyncapi/activecampaign-webhooks-asyncapi.yml
@ cb996eb (type discriminator, date_time, initiated_from, contact[id|email|first_name|last_name|
phone|tags]); event types and a parsed delivery in the sampleData of
github:activepieces/activepieces packages/pieces/community/activecampaign/src/lib/triggers/
updated-contact.ts @ 228fb18 (type "update", contact.first_name/last_name/email/phone).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object
from schemas.mapping import Mapping

PRESET = Preset(
    id="activecampaign",
    display_name="ActiveCampaign",
    signature_scheme="none",
    event="type",
    mapping=Mapping(
        event="type",
        # The wire format is flat bracketed keys (what hookline's form parser keeps as one
        # key); the nested spelling is what a PHP-style parser (or a relay) produces.
        name=(
            'join(\' \', ["contact[first_name]", "contact[last_name]"][?@]) '
            "|| join(' ', [contact.first_name, contact.last_name][?@])"
        ),
        phone='"contact[phone]" || contact.phone',
        fields={
            "email": '"contact[email]" || contact.email',
            "contact_id": '"contact[id]" || contact.id',
            "tags": '"contact[tags]" || contact.tags',
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "subscribe": "Contato inscrito em lista",
        "unsubscribe": "Contato descadastrado",
        "update": "Contato atualizado",
        "contact_tag_added": "Tag adicionada ao contato",
        "contact_tag_removed": "Tag removida do contato",
        "sent": "Campanha enviada",
        "open": "Campanha aberta",
        "click": "Link da campanha clicado",
        "reply": "Resposta à campanha",
        "bounce": "E-mail devolvido (bounce)",
        "deal_add": "Negócio criado",
        "deal_update": "Negócio atualizado",
        "sms_reply": "Resposta por SMS",
        "sms_unsub": "Descadastro por SMS",
    },
    documented=True,
    source=(
        "https://developers.activecampaign.com/page/webhooks; field list transcribed in "
        "github:api-evangelist/activecampaign asyncapi/activecampaign-webhooks-asyncapi.yml "
        "@ cb996eb"
    ),
    notes=(
        "Field names come from secondary transcriptions of the official pages (an AsyncAPI "
        "description and an integration's recorded deliveries), not from the official field "
        "table itself, which could not be read here. contact[phone] is free text, often empty. "
        "No delivery id: dedup by body hash. No signature scheme is documented: use an "
        "unguessable URL."
    ),
    covers=("Webhooks (form posts): subscribe and update events (contact[...])",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "type" not in body:
        return None
    if any(str(key).startswith("contact[") for key in body):
        return 0.7, "type + contact[...] form keys"
    if "initiated_from" in body and is_object(body.get("contact")):
        return 0.6, "type + initiated_from with a contact block"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
