"""Digital Manager Guru webhooks: {webhook_type, id, status, api_token, contact, product,
payment, ...}.

The kind of webhook is ``webhook_type`` (``transaction``, ``subscription``)
and, for a transaction, its ``status`` (``approved``, ``waiting_payment``, ``canceled``,
``abandoned``, ``refunded``, ...): the event is ``<webhook_type>.<status>``
(``transaction.approved``). The buyer is ``contact`` (``name``, ``email``, ``doc``, phone
split in ``phone_local_code`` (DDI) and ``phone_number``). The account's API token travels
in the body field ``api_token``: it is the credential (field_token) and is masked.

Sources: Guru's webhook documentation (https://docs.digitalmanager.guru/developers/webhooks)
as summarised in public integrations (transaction and subscription bodies with
``webhook_type``, ``api_token``, ``contact``), and delivery bodies in their tests
(tests/fixtures/platforms/guru__transaction.approved.json). Medium confidence: marked
undocumented.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object, text
from schemas.mapping import Mapping

_EVENT = ("status && join('.', [webhook_type, status])", "webhook_type")
_PHONE = (
    "contact.phone_number && join('', map(&to_string(@), "
    "[contact.phone_local_code, contact.phone_number][?@]))"
)

PRESET = Preset(
    id="guru",
    display_name="Digital Manager Guru",
    signature_scheme="field_token",
    event=_EVENT,
    mapping=Mapping(
        event=_EVENT,
        name=("contact.name", "subscription.contact.name"),
        phone=(_PHONE, "contact.phone"),
        fields={
            "email": ("contact.email", "subscription.contact.email"),
            "document": "contact.doc",
            "product": "product.name",
            "value": "payment.total",
            "status": "status",
            "transaction_id": "id",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "transaction.approved": "Transação aprovada",
        "transaction.waiting_payment": "Aguardando pagamento",
        "transaction.canceled": "Transação cancelada",
        "transaction.abandoned": "Checkout abandonado",
        "transaction.refunded": "Transação reembolsada",
        "transaction.chargeback": "Chargeback",
        "subscription.active": "Assinatura ativa",
        "subscription.canceled": "Assinatura cancelada",
        "subscription.pastdue": "Assinatura atrasada",
    },
    documented=False,
    source=(
        "https://docs.digitalmanager.guru/developers/webhooks (as summarised in public "
        "integrations)"
    ),
    notes=(
        "phone_local_code is the country code (55) and phone_number carries DDD + number. "
        "Auth: api_token in the body (field_token), masked in history."
    ),
    covers=("Transactions, webhook_type transaction (contact, split phone)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    kind = text(body.get("webhook_type"))
    if kind in ("transaction", "subscription") and "api_token" in body:
        return 0.9, f"webhook_type '{kind}' with api_token"
    if kind and is_object(body.get("contact")):
        return 0.8, f"webhook_type '{kind}' with a contact block"
    return None


PLATFORM = Platform(preset=PRESET, credential_fields=("api_token",), detect=_detect)
