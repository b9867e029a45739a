"""VTEX Orders Hook: thin order-status notifications.

Source: vtexdocs "Orders Feed v3" guide (https://developers.vtex.com/docs/guides/orders-feed):
hook body {Domain, OrderId, State, LastState, LastChange, CurrentChange, Origin{Account, Key}};
the first call after configuration is the ping {"hookConfig": "ping"}.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset

PRESET = Preset(
    id="vtex",
    display_name="VTEX",
    signature_scheme="header_token",
    event="State",
    # Only the order id and state travel: the client profile needs the OMS API, so there is
    # no default lead mapping.
    mapping=None,
    delivery_id=None,
    events={
        "order-created": "Pedido criado",
        "payment-pending": "Pagamento pendente",
        "payment-approved": "Pagamento aprovado",
        "ready-for-handling": "Pronto para manuseio",
        "handling": "Em manuseio",
        "invoiced": "Faturado",
        "canceled": "Cancelado",
    },
    documented=True,
    source="https://developers.vtex.com/docs/guides/orders-feed",
    notes=(
        "No signature: VTEX sends the static headers you set in hook.headers (use "
        'header_token). The configuration ping {"hookConfig": "ping"} must get a 200.'
    ),
    ids_only=(
        "VTEX sends only ids (OrderId, State): no client profile in the hook. Enrich from its OMS"
        " API (GET /api/oms/pvt/orders/{OrderId}) before mapping."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if body.get("hookConfig") == "ping":
        return 0.9, 'VTEX hook configuration ping {"hookConfig": "ping"}'
    if {"OrderId", "State"} <= set(body) and ("Origin" in body or "Domain" in body):
        return 0.85, "OrderId + State + Origin/Domain (Orders Hook)"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
