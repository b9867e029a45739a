"""Yampi webhooks: {event, time, merchant{id, alias}, resource{...}}.

Source: https://docs.yampi.com.br/api-reference/webhooks/introduction (official: event list,
envelope, X-Yampi-Hmac-SHA256).
"""

from hookline.presets import Preset

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
