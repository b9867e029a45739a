"""Yampi webhooks: {event, time, merchant{id, alias}, resource{...}}.

Source: https://docs.yampi.com.br/api-reference/webhooks/introduction (official: event list,
envelope, X-Yampi-Hmac-SHA256).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig

PRESET = Preset(
    id="yampi",
    display_name="Yampi",
    signature_scheme="yampi",
    event="event",
    # The envelope is documented, but the customer block inside resource was not readable in
    # the material available here: no field names are asserted, discovery proposes them.
    mapping=None,
    delivery_id=None,
    events={
        "order.created": "Pedido criado",
        "order.paid": "Pedido aprovado",
        "order.status.updated": "Status do pedido atualizado",
        "order.invoice.created": "Nota fiscal criada",
        "order.invoice.updated": "Nota fiscal atualizada",
        "transaction.payment.refused": "Pagamento recusado",
        "cart.reminder": "Carrinho abandonado",
        "customer.created": "Cliente criado",
        "customer.address.created": "Endereço do cliente criado",
        "cashback.expiring": "Cashback expirando",
    },
    documented=False,
    source="https://docs.yampi.com.br/api-reference/webhooks/introduction",
    notes=(
        "Event names and envelope are official; the lead fields inside resource are not "
        "documented in what was available, so mapping=None (use discovery on real payloads)."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "x-yampi-hmac-sha256" in headers:
        return 0.99, "X-Yampi-Hmac-SHA256 header"
    if "event" in body and "resource" in body and dig(body, "merchant", "alias") is not None:
        return 0.8, "event + merchant.alias + resource envelope"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
