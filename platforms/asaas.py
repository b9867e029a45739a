"""Asaas webhooks: {id, event, dateCreated, payment{... customer: "cus_..."}}.

Source: verbatim copy of docs.asaas.com ("Sobre os webhooks", "Eventos para cobranças") in
github:matheuswillock/lead-flow-app AsaasDoc/webhook.md @ 51e616d.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, text

PRESET = Preset(
    id="asaas",
    display_name="Asaas",
    signature_scheme="asaas",
    event="event",
    # Payment events carry only the customer id (payment.customer = "cus_..."), never the
    # customer's name or phone: a lead needs GET /v3/customers/{id}, so no default mapping.
    mapping=None,
    delivery_id="id",
    events={
        "PAYMENT_CREATED": "Cobrança criada",
        "PAYMENT_UPDATED": "Cobrança alterada",
        "PAYMENT_CONFIRMED": "Cobrança confirmada",
        "PAYMENT_RECEIVED": "Cobrança recebida",
        "PAYMENT_OVERDUE": "Cobrança vencida",
        "PAYMENT_DELETED": "Cobrança removida",
        "PAYMENT_RESTORED": "Cobrança restaurada",
        "PAYMENT_REFUNDED": "Cobrança estornada",
        "PAYMENT_PARTIALLY_REFUNDED": "Cobrança estornada parcialmente",
        "PAYMENT_CREDIT_CARD_CAPTURE_REFUSED": "Falha no pagamento com cartão",
        "PAYMENT_AWAITING_RISK_ANALYSIS": "Aguardando análise de risco",
        "PAYMENT_APPROVED_BY_RISK_ANALYSIS": "Aprovado pela análise de risco",
        "PAYMENT_REPROVED_BY_RISK_ANALYSIS": "Reprovado pela análise de risco",
        "PAYMENT_CHARGEBACK_REQUESTED": "Chargeback recebido",
        "PAYMENT_CHARGEBACK_DISPUTE": "Disputa de chargeback",
        "PAYMENT_BANK_SLIP_VIEWED": "Boleto visualizado",
        "PAYMENT_CHECKOUT_VIEWED": "Fatura visualizada",
    },
    documented=True,
    source="github:matheuswillock/lead-flow-app AsaasDoc/webhook.md @ 51e616d",
    notes=(
        "The event id repeats on redelivery (documented), so it is the dedup key. Payment "
        "payloads reference the customer only by id: map name/phone from an enrichment step "
        "or use discovery on your own payloads. Auth: static asaas-access-token header."
    ),
    ids_only=(
        "Asaas sends only ids: payment events reference the customer as payment.customer "
        "(cus_...), with no name or phone. Enrich from its API (GET /v3/customers/{id}) before "
        "mapping, or map a lead from another platform."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "asaas-access-token" in headers:
        return 0.95, "asaas-access-token header"
    event = text(body.get("event"))
    for resource in ("payment", "subscription", "invoice", "transfer", "checkout"):
        if dig(body, resource, "object") == resource and event.startswith(resource.upper()):
            return 0.9, f"event '{event}' with a {resource} object"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
