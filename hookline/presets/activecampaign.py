"""ActiveCampaign webhooks: form-encoded POST parameters (contact & campaign activity).

Source: https://developers.activecampaign.com/page/webhooks (data arrives as POST parameters,
"at least once", never retried). The per-field parameter list was not readable in the material
available here: the paths below are a GUESS (bracketed form keys such as contact[email], as
PHP-style form posts spell them), not documented facts.
"""

from hookline.presets import Preset
from schemas.mapping import Mapping

PRESET = Preset(
    id="activecampaign",
    display_name="ActiveCampaign",
    signature_scheme="none",
    event="type",
    mapping=Mapping(
        event="type",
        # GUESS: flat bracketed keys first (plain form parser), nested spelling second.
        name=(
            'join(\' \', ["contact[first_name]", "contact[last_name]"][?@]) '
            "|| join(' ', [contact.first_name, contact.last_name][?@])"
        ),
        phone='"contact[phone]" || contact.phone',
        fields={"email": '"contact[email]" || contact.email'},
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "subscribe": "Contato inscrito",
        "unsubscribe": "Contato descadastrado",
        "update": "Contato atualizado",
        "sent": "Campanha enviada",
        "open": "Campanha aberta",
        "click": "Link clicado",
    },
    documented=False,
    source="https://developers.activecampaign.com/page/webhooks",
    notes=(
        "GUESS: the field names (type, contact[...]) and event names are not confirmed from the "
        "docs available; check them against a real delivery with discovery before relying on "
        "them. No signature scheme is documented: use an unguessable URL."
    ),
)
