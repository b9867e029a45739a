"""Eduzz "new" webhooks (myeduzz.*): envelope {id, event, sentDate, data}.

Source: github:eduzz/eduzz-webhook-docs events/myeduzz/*.md @ fbe5538 (official).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, text
from schemas.mapping import Mapping

PRESET = Preset(
    id="eduzz",
    display_name="Eduzz",
    signature_scheme="eduzz",
    event="event",
    mapping=Mapping(
        event="event",
        name="data.buyer.name",
        # The docs list phone, phone2 and cellphone; the cellphone is the WhatsApp candidate.
        phone="data.buyer.cellphone || data.buyer.phone || data.buyer.phone2",
        fields={
            "email": "data.buyer.email",
            "product": "data.items[0].name",
            "value": "data.price.value",
            "status": "data.status",
            "transaction_id": "data.id",
        },
        default_region="BR",
    ),
    delivery_id="id",
    events={
        "myeduzz.invoice_opened": "Fatura aberta",
        "myeduzz.invoice_paid": "Fatura paga",
        "myeduzz.invoice_canceled": "Fatura cancelada",
        "myeduzz.invoice_expired": "Fatura expirada",
        "myeduzz.invoice_overdue": "Fatura vencida",
        "myeduzz.invoice_negotiated": "Fatura negociada",
        "myeduzz.invoice_recovering": "Fatura em recuperação",
        "myeduzz.invoice_refunded": "Fatura reembolsada",
        "myeduzz.invoice_refused": "Fatura recusada",
        "myeduzz.invoice_scheduled": "Fatura agendada",
        "myeduzz.invoice_updated": "Fatura atualizada",
        "myeduzz.invoice_waiting_payment": "Aguardando pagamento",
        "myeduzz.invoice_waiting_refund": "Aguardando reembolso",
        "myeduzz.cart_abandonment": "Abandono de carrinho",
        "myeduzz.contract_created": "Assinatura criada",
        "myeduzz.contract_updated": "Assinatura atualizada",
        "myeduzz.commission_processed": "Comissão processada",
    },
    documented=True,
    source="github:eduzz/eduzz-webhook-docs events/myeduzz/invoice_paid.md @ fbe5538",
    notes=(
        "Buyer phones come without country code (default region BR). Legacy Eduzz webhooks "
        "(invoice/contract form posts, deprecated 2024) are not covered by this preset."
    ),
)


_PREFIXES = ("myeduzz.", "nutror.", "blinket.", "alpaclass.")


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    event = text(body.get("event"))
    if event.startswith(_PREFIXES):
        signed = "x-signature" in headers
        return (0.99 if signed else 0.95), f"event '{event}' has an Eduzz product prefix"
    return None


PLATFORM = Platform(
    preset=PRESET,
    # Legacy webhooks (deprecated 2024) carry a static token in the body: origin_secret (the
    # docs also say origin), or api_key kept "for compatibility" (github:eduzz/webhook
    # README.md @ cf324c7). The eduzz scheme reads them when no x-signature header came.
    credential_fields=("origin_secret", "origin", "api_key"),
    # Affiliate postbacks (TRACKER.*) send the account's API key in this header
    # (github:ziel-17/postback-eduzz README.md); no scheme checks it, it is only dropped.
    credential_headers=("X-EduzzApi",),
    detect=_detect,
)
