"""Ticto webhook v2.0: {version, status, token, order, customer{phone{ddi,ddd,number}}, item}.

Source: transcription of https://webhook.ticto.dev/docs/v2 in public GitHub material, and
github:kenethmarafon/webhook ticto/campos-webhook.md @ 0b87c4c (field list with
customer_phone_ddi/ddd/number and the status catalogue). Lower confidence than official docs.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, is_object
from schemas.mapping import Mapping

PRESET = Preset(
    id="ticto",
    display_name="Ticto",
    signature_scheme="ticto",
    event="status",
    mapping=Mapping(
        event="status",
        name="customer.name",
        phone="join('', [customer.phone.ddi, customer.phone.ddd, customer.phone.number][?@])",
        fields={
            "email": "customer.email",
            "document": "customer.cpf || customer.cnpj",
            "product": "item.product_name",
            "value": "order.paid_amount",
            "status": "status",
            "transaction_id": "order.hash",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "authorized": "Venda realizada",
        "refused": "Venda recusada",
        "waiting_payment": "Aguardando pagamento",
        "pix_created": "Pix gerado",
        "pix_expired": "Pix expirado",
        "bank_slip_created": "Boleto impresso",
        "bank_slip_delayed": "Boleto atrasado",
        "abandoned_cart": "Abandono de carrinho",
        "refunded": "Reembolso",
        "chargeback": "Chargeback",
        "claimed": "Reclamação",
        "close": "Encerrado",
        "trial": "Tempo de teste",
        "card_exchanged": "[Assinatura] Cartão atualizado",
        "subscription_canceled": "[Assinatura] Cancelada",
        "subscription_delayed": "[Assinatura] Atrasada",
        "all_charges_paid": "[Assinatura] Todas as cobranças pagas",
        "extended": "[Assinatura] Estendida",
        "trial_started": "[Assinatura] Período de testes iniciado",
        "trial_ended": "[Assinatura] Período de testes encerrado",
        "uncanceled": "[Assinatura] Retomada",
    },
    documented=True,
    source="https://webhook.ticto.dev/docs/v2",
    notes=(
        "The event is the purchase status. Phone is split: ddi ('+55'), ddd and number are "
        "joined. Amounts in cents. No delivery id: dedup by body hash. Auth: body field token."
    ),
    covers=(
        "Webhook v2.0: sales and subscription events (customer, composite ddi+ddd+number phone)",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    phone = dig(body, "customer", "phone")
    if "token" in body and dig(body, "order", "hash") is not None:
        return 0.85, "token + order.hash"
    if body.get("version") == "2.0" and is_object(phone) and "ddd" in phone:
        return 0.8, 'version "2.0" with customer.phone.ddd'
    return None


PLATFORM = Platform(preset=PRESET, credential_fields=("token",), detect=_detect)
