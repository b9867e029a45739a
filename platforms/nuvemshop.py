"""Nuvemshop / Tiendanube webhooks: thin notifications {store_id, event, id}.

Source: github:TiendaNube/api-docs resources/webhook.md @ 0bad327 (official).
"""

import re
from typing import Any

from platforms.unit import Found, Platform, Preset, text

PRESET = Preset(
    id="nuvemshop",
    display_name="Nuvemshop",
    signature_scheme="nuvemshop",
    event="event",
    # The notification carries only ids: the customer must be fetched from the API
    # (GET /orders/{id}), so there is no default lead mapping.
    mapping=None,
    delivery_id=None,
    events={
        "order/created": "Pedido criado",
        "order/updated": "Pedido atualizado",
        "order/paid": "Pedido pago",
        "order/fulfilled": "Pedido enviado",
        "order/cancelled": "Pedido cancelado",
        "cart/created": "Carrinho criado",
        "cart/updated": "Carrinho atualizado",
        "product/created": "Produto criado",
        "product/updated": "Produto atualizado",
        "product/deleted": "Produto excluído",
        "app/uninstalled": "App desinstalado",
    },
    documented=True,
    source="github:TiendaNube/api-docs resources/webhook.md @ 0bad327",
    notes=(
        "Payload is {store_id, event, id}: no name or phone. Retries 14 times over three days "
        "with the same body, so the body hash dedups. Signature: X-Linkedstore-HMAC-SHA256."
    ),
    ids_only=(
        "Nuvemshop sends only ids ({store_id, event, id}): no customer in the webhook. Enrich "
        "from its API (GET /orders/{id}) before mapping."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "x-linkedstore-hmac-sha256" in headers:
        return 0.99, "X-Linkedstore-HMAC-SHA256 header"
    event = text(body.get("event"))
    if "store_id" in body and re.fullmatch(r"[a-z_]+/[a-z_]+", event):
        return 0.75, f"store_id with a resource/action event '{event}'"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
