"""Kirvano webhooks: flat JSON {event, event_description, sale_id, status, customer, ...}.

The event is ``event`` in UPPER_SNAKE (``SALE_APPROVED``, ``PIX_GENERATED``,
``ABANDONED_CART``, ...); the buyer is ``customer`` (``name``, ``document``, ``email``,
``phone_number``); subscriptions add ``plan``.

Sources: Kirvano's help center (help.kirvano.com, "Webhooks": the flat structure and the
event list) as transcribed in public integrations (a kirvano_webhook.py quoting it,
April 2026; parsers reading ``customer.phone_number``); the panel's optional "Token" is
not documented to travel in a given place, so nothing is checked by default (use
header_token with a header you add). Medium confidence: marked undocumented.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object, text
from schemas.mapping import Mapping

PRESET = Preset(
    id="kirvano",
    display_name="Kirvano",
    signature_scheme="none",
    event="event",
    mapping=Mapping(
        event="event",
        name="customer.name",
        phone=("customer.phone_number", "customer.phone"),
        fields={
            "email": "customer.email",
            "document": "customer.document",
            "product": ("products[0].name", "plan.name"),
            "value": "total_price",
            "status": "status",
            "transaction_id": "sale_id",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "SALE_APPROVED": "Compra aprovada",
        "SALE_REFUSED": "Compra recusada",
        "SALE_CHARGEBACK": "Chargeback",
        "REFUND": "Reembolso",
        "PIX_GENERATED": "PIX gerado",
        "PIX_EXPIRED": "PIX expirado",
        "BANK_SLIP_GENERATED": "Boleto gerado",
        "BANK_SLIP_EXPIRED": "Boleto expirado",
        "PICPAY_GENERATED": "PicPay gerado",
        "PICPAY_EXPIRED": "PicPay expirado",
        "ABANDONED_CART": "Carrinho abandonado",
        "SUBSCRIPTION_CANCELED": "Assinatura cancelada",
        "SUBSCRIPTION_OVERDUE": "Assinatura atrasada",
        "SUBSCRIPTION_RENEWED": "Assinatura renovada",
    },
    documented=False,
    source="help.kirvano.com (Webhooks), as transcribed in public integrations",
    notes=(
        'total_price is display text ("R$ 97,00"). The optional panel token is not '
        "documented to travel in a given place: nothing is checked unless you add a header."
    ),
    covers=("Sales, subscriptions and abandonment events (flat; customer.phone_number)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    event = text(body.get("event"))
    if "event_description" in body and event.isupper() and is_object(body.get("customer")):
        return 0.9, f"event '{event}' with event_description and customer"
    if "sale_id" in body and "checkout_id" in body and event.isupper():
        return 0.8, "sale_id and checkout_id with an UPPER_SNAKE event"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
