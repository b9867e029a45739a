"""Hotmart webhook 2.0.0: every event family puts the person somewhere else.

- purchases (``PURCHASE_*``): ``data.buyer`` with ``checkout_phone``;
- cart abandonment (``PURCHASE_OUT_OF_SHOPPING_CART``): ``data.buyer`` with ``phone``
  (the DDI included for buyers outside Brazil);
- subscriptions (``SUBSCRIPTION_CANCELLATION``): ``data.subscriber`` with a split
  ``phone{dddCell, cell, dddPhone, phone}``;
- members area (``CLUB_FIRST_ACCESS``, ``CLUB_MODULE_COMPLETED``): ``data.user`` (name,
  e-mail; no phone).

Sources: https://developers.hotmart.com/docs/en/2.0.0/webhook/purchase-webhook/,
.../cart-abandonment-webhook/ and .../cancel-subscription-webhook/ (event catalogue as
captured in github:api-evangelist/hotmart asyncapi/hotmart-webhooks.yml @ cb28a13); the
purchase shape from Hotmart-generated test postbacks (shared/samples/hotmart__*.json); the
club events from Hotmart's "send test" postbacks copied in
github:michael-lourenco/controle-de-eventos documentacao/payloads-webhook.md @ b33cb93.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object
from schemas.mapping import Mapping

_SUBSCRIBER_CELL = (
    "data.subscriber.phone.cell && "
    "join('', [data.subscriber.phone.dddCell, data.subscriber.phone.cell][?@])"
)
_SUBSCRIBER_PHONE = (
    "data.subscriber.phone.phone && "
    "join('', [data.subscriber.phone.dddPhone, data.subscriber.phone.phone][?@])"
)

PRESET = Preset(
    id="hotmart",
    display_name="Hotmart",
    signature_scheme="hotmart",
    event="event",
    mapping=Mapping(
        event="event",
        # Purchases and abandonment carry data.buyer, subscriptions data.subscriber, the
        # members area data.user.
        name=("data.buyer.name", "data.subscriber.name", "data.user.name"),
        phone=(
            "data.buyer.checkout_phone",
            "data.buyer.phone",
            _SUBSCRIBER_CELL,
            _SUBSCRIBER_PHONE,
            "data.user.phone",
        ),
        fields={
            "email": ("data.buyer.email", "data.subscriber.email", "data.user.email"),
            "document": "data.buyer.document",
            "product": "data.product.name",
            "value": "data.purchase.price.value || data.actual_recurrence_value",
            "status": "data.purchase.status",
            "transaction_id": "data.purchase.transaction",
        },
        default_region="BR",
    ),
    delivery_id="id",
    events={
        "PURCHASE_APPROVED": "Compra aprovada",
        "PURCHASE_COMPLETE": "Compra completa",
        "PURCHASE_CANCELED": "Compra cancelada",
        "PURCHASE_BILLET_PRINTED": "Boleto impresso",
        "PURCHASE_PROTEST": "Pedido de reembolso (disputa)",
        "PURCHASE_REFUNDED": "Compra reembolsada",
        "PURCHASE_CHARGEBACK": "Chargeback",
        "PURCHASE_EXPIRED": "Compra expirada",
        "PURCHASE_DELAYED": "Compra atrasada",
        "PURCHASE_OUT_OF_SHOPPING_CART": "Abandono de carrinho",
        "SUBSCRIPTION_CANCELLATION": "Cancelamento de assinatura",
        "SWITCH_PLAN": "Troca de plano",
        "UPDATE_SUBSCRIPTION_CHARGE_DATE": "Alteração da data de cobrança",
        "CLUB_FIRST_ACCESS": "Primeiro acesso à área de membros",
        "CLUB_MODULE_COMPLETED": "Módulo concluído",
    },
    documented=True,
    source="https://developers.hotmart.com/docs/en/2.0.0/webhook/purchase-webhook/",
    notes=(
        "checkout_phone has no country code (default region BR). data.buyer.checkout_phone_code "
        "is undocumented and not concatenated. SUBSCRIPTION_CANCELLATION sends "
        "data.subscriber.phone{dddCell,cell,dddPhone,phone}: cell first, then landline. "
        "Auth: static X-HOTMART-HOTTOK header."
    ),
    covers=(
        "2.0.0 purchases, PURCHASE_* (data.buyer, checkout_phone)",
        "2.0.0 cart abandonment, PURCHASE_OUT_OF_SHOPPING_CART (data.buyer.phone)",
        "2.0.0 subscriptions, SUBSCRIPTION_CANCELLATION (data.subscriber, split phone)",
        "2.0.0 members area, CLUB_FIRST_ACCESS / CLUB_MODULE_COMPLETED (data.user; no phone)",
    ),
)


_DATA = ("buyer", "purchase", "subscriber", "subscription", "product", "user")


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "x-hotmart-hottok" in headers:
        return 0.99, "X-HOTMART-HOTTOK header"
    data = body.get("data")
    shaped = is_object(data) and any(key in data for key in _DATA)
    if body.get("version") in ("2.0.0", "1.0.0") and shaped and "event" in body:
        return 0.9, f'version "{body["version"]}" envelope with data.buyer/purchase/subscriber'
    if "hottok" in body:
        return 0.8, "hottok field in the body"
    return None


PLATFORM = Platform(
    preset=PRESET,
    # Older v2 payloads carry the token as a top-level body field too (the 2022 test postback).
    credential_fields=("hottok",),
    detect=_detect,
)
