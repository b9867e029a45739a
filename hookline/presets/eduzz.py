"""Eduzz "new" webhooks (myeduzz.*): envelope {id, event, sentDate, data}.

Source: github:eduzz/eduzz-webhook-docs events/myeduzz/*.md @ fbe5538 (official).
"""

from hookline.presets import Preset
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
