"""Pagar.me (API v5, "core") webhooks: {id, account, type, created_at, data}.

The event is ``type`` (``order.paid``, ``charge.paid``, ...); ``data`` is the order or
charge, with the buyer in ``data.customer`` and the phones split in
``data.customer.phones.{mobile_phone,home_phone}.{country_code, area_code, number}``.

Sources (official): "Exemplo de webhook" (https://docs.pagar.me/reference/exemplo-de-webhook-1),
an ``order.paid`` delivery, tests/fixtures/platforms/pagarme__order.paid.json (whose customer
has empty ``phones``); the customer's phones object as documented in "Clientes"
(https://docs.pagar.me/reference/clientes-1) and used with ``charge.paid`` in
tests/fixtures/platforms/pagarme__charge.paid.json (Connect Stone's copy of the same
envelope, https://connect-v2.stone.com.br/reference/retorno-webhook, with a customer phone).
Signature: ``X-Hub-Signature`` HMAC of the body (ingest/verify/hub_signature.py).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, text
from schemas.mapping import Mapping


def _phone(kind: str, root: str) -> str:
    base = f"{root}.customer.phones.{kind}"
    parts = f"[{base}.country_code, {base}.area_code, {base}.number]"
    return f"{base}.number && join('', map(&to_string(@), {parts}[?@]))"


PRESET = Preset(
    id="pagarme",
    display_name="Pagar.me",
    signature_scheme="hub_signature",
    event="type",
    mapping=Mapping(
        event="type",
        # order.* carry the customer in data; charge.* in data too, and in data.order's.
        name=("data.customer.name", "data.charges[0].customer.name"),
        phone=(
            _phone("mobile_phone", "data"),
            _phone("home_phone", "data"),
            _phone("mobile_phone", "data.charges[0]"),
        ),
        fields={
            "email": ("data.customer.email", "data.charges[0].customer.email"),
            "document": "data.customer.document",
            "product": "data.items[0].description",
            "value": ("data.amount", "data.paid_amount"),
            "status": "data.status",
            "transaction_id": "data.id",
        },
        default_region="BR",
    ),
    delivery_id="id",
    events={
        "order.created": "Pedido criado",
        "order.paid": "Pedido pago",
        "order.payment_failed": "Falha no pagamento do pedido",
        "order.canceled": "Pedido cancelado",
        "order.closed": "Pedido fechado",
        "charge.created": "Cobrança criada",
        "charge.paid": "Cobrança paga",
        "charge.payment_failed": "Falha na cobrança",
        "charge.refunded": "Cobrança estornada",
        "charge.pending": "Cobrança pendente",
        "charge.chargedback": "Chargeback",
        "customer.created": "Cliente criado",
        "subscription.created": "Assinatura criada",
        "subscription.canceled": "Assinatura cancelada",
    },
    documented=True,
    source="https://docs.pagar.me/reference/exemplo-de-webhook-1",
    notes=(
        "Amounts in cents. Phones are split (country_code, area_code, number) and joined "
        "here; the mobile phone wins. A customer may come without phones (the docs' own "
        "example): such a delivery dead-letters with a missing phone."
    ),
    covers=(
        "API v5 order.* (data.customer, phones.mobile_phone then home_phone)",
        "API v5 charge.* (data.customer)",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    hook = text(body.get("id")).startswith("hook_")
    if "x-hub-signature" in headers and hook:
        return 0.95, "X-Hub-Signature header with a hook_ id"
    if hook and text(dig(body, "account", "id")).startswith("acc_"):
        return 0.9, "hook_ id with an acc_ account"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
