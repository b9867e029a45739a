"""Greenn webhooks: {type, event, oldStatus, currentStatus, product, sale, client, seller}.

Sales (``type: sale``, ``event: saleUpdated``), subscriptions (``type: contract``,
``event: contractUpdated``) and checkout abandonment (``type: lead``,
``event: checkoutAbandoned``). ``event`` alone does not tell paid from refused, so the
event is ``<event>.<currentStatus>`` (``saleUpdated.paid``), or ``event`` when there is no
status. The buyer is ``client`` (``name``, ``email``, ``cellphone``).

Sources: Greenn's webhook documentation (2021, "Sistema externo > Webhook"; no signature
described) as summarised in public integrations, and the delivery bodies in their tests
(tests/fixtures/platforms/greenn__saleUpdated.paid.json). Medium confidence: no official
page was available here, so the preset is marked undocumented.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, is_object, text
from schemas.mapping import Mapping

_EVENT = ("currentStatus && join('.', [event, currentStatus])", "event")

PRESET = Preset(
    id="greenn",
    display_name="Greenn",
    signature_scheme="none",
    event=_EVENT,
    mapping=Mapping(
        event=_EVENT,
        name=("client.name", "lead.name"),
        phone=("client.cellphone", "lead.cellphone", "lead.phone"),
        fields={
            "email": ("client.email", "lead.email"),
            "document": "client.cpf_cnpj",
            "product": "product.name",
            "value": ("sale.amount", "product.amount"),
            "status": "currentStatus",
            "transaction_id": "sale.id",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "saleUpdated.paid": "Venda paga",
        "saleUpdated.waiting_payment": "Aguardando pagamento",
        "saleUpdated.refused": "Venda recusada",
        "saleUpdated.refunded": "Venda reembolsada",
        "saleUpdated.chargedback": "Chargeback",
        "contractUpdated.paid": "Assinatura paga",
        "contractUpdated.canceled": "Assinatura cancelada",
        "checkoutAbandoned": "Abandono de checkout",
    },
    documented=False,
    source="Greenn webhook docs (2021) as summarised in public integrations; see module docstring",
    notes=(
        "No signature is described: use header_token with a header you add, or keep the URL "
        "secret. The event joins event and currentStatus (saleUpdated.paid)."
    ),
    covers=("Sales, saleUpdated (client: name, email, cellphone)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    event = text(body.get("event"))
    if event in ("saleUpdated", "contractUpdated", "checkoutAbandoned") and "type" in body:
        return 0.9, f"event '{event}' with type"
    if "currentStatus" in body and is_object(body.get("client")):
        return 0.8, "currentStatus with a client block"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
