"""Kiwify sales webhooks: flat order JSON with webhook_event_type, order_status and Customer.

Sources: https://docs.kiwify.com.br/api-reference/webhooks (sales webhooks; signature in the
query string); field names corroborated by a Kiwify test delivery recorded in
github:betiol/shopee-video-downloader WEBHOOK_FUNCIONANDO.md and the Customer block
{full_name, email, mobile, CPF} transcribed at
https://docs.integracoesinteligentes.xyz/integrations/kiwify/subscription/.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object
from schemas.mapping import Mapping

PRESET = Preset(
    id="kiwify",
    display_name="Kiwify",
    signature_scheme="kiwify",
    event="webhook_event_type",
    mapping=Mapping(
        event="webhook_event_type",
        name="Customer.full_name",
        phone="Customer.mobile",
        fields={
            "email": "Customer.email",
            "document": "Customer.CPF",
            "value": "Commissions.charge_amount",
            "status": "order_status",
            "transaction_id": "order_id",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "order_approved": "Compra aprovada",
        "order_rejected": "Compra recusada",
        "order_refunded": "Compra reembolsada",
        "chargeback": "Chargeback",
        "billet_created": "Boleto gerado",
        "pix_created": "Pix gerado",
        "subscription_canceled": "Assinatura cancelada",
        "subscription_late": "Assinatura atrasada",
        "subscription_renewed": "Assinatura renovada",
    },
    documented=True,
    source="https://docs.kiwify.com.br/api-reference/webhooks",
    notes=(
        "Customer.mobile carries the country code (e.g. 5511...). Commissions.charge_amount "
        "is in cents. No delivery id is documented: dedup falls back to the body hash. "
        "Abandoned-cart deliveries use a different, flatter shape not covered here."
    ),
    covers=("Sales webhooks: order events (Customer.full_name, Customer.mobile)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "webhook_event_type" in body and ("order_status" in body or "Customer" in body):
        return 0.9, "webhook_event_type with order_status/Customer"
    if "order_status" in body and is_object(body.get("Customer")):
        return 0.8, "order_status with a capitalised Customer block"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
