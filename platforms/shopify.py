"""Shopify webhooks: the body is the bare resource, the topic travels in X-Shopify-Topic.

Source: https://shopify.dev/docs/api/webhooks (topics, X-Shopify-* headers); order shape from
Shopify's "Send test notification" order (shared/samples/shopify__orders_test_notification.json).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, header, headers_starting, text
from schemas.mapping import Mapping

_TOPIC = header("X-Shopify-Topic")

PRESET = Preset(
    id="shopify",
    display_name="Shopify",
    signature_scheme="shopify",
    event=_TOPIC,
    mapping=Mapping(
        event=_TOPIC,
        name=(
            "join(' ', [customer.first_name, customer.last_name][?@]) "
            "|| billing_address.name || shipping_address.name"
        ),
        # Phones are free text: order phone, then customer, billing, shipping.
        phone=(
            "phone || customer.phone || billing_address.phone || shipping_address.phone "
            "|| customer.default_address.phone"
        ),
        fields={
            "email": "email || contact_email || customer.email",
            "product": "line_items[0].title",
            "value": "total_price",
            "status": "financial_status",
            "transaction_id": "to_string(id)",
        },
        default_region="BR",
    ),
    delivery_id=header("X-Shopify-Webhook-Id"),
    events={
        "orders/create": "Pedido criado",
        "orders/paid": "Pedido pago",
        "orders/updated": "Pedido atualizado",
        "orders/cancelled": "Pedido cancelado",
        "orders/fulfilled": "Pedido enviado",
        "orders/partially_fulfilled": "Pedido parcialmente enviado",
        "checkouts/create": "Checkout iniciado",
        "checkouts/update": "Checkout atualizado",
        "customers/create": "Cliente criado",
        "customers/update": "Cliente atualizado",
        "refunds/create": "Reembolso criado",
    },
    documented=True,
    source="https://shopify.dev/docs/api/webhooks",
    notes=(
        "Several people in one order (customer, billing, shipping): the customer wins for the "
        "name, the order's own email/phone first. Phones carry no country code and may contain "
        "letters; the region comes from the integration (default BR)."
    ),
    covers=(
        "Admin API webhooks: orders/* (customer, billing_address, shipping_address), event in "
        "X-Shopify-Topic",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    found = headers_starting(headers, "x-shopify-")
    if found:
        return 0.99, f"headers {', '.join(found[:3])}"
    if text(body.get("admin_graphql_api_id")).startswith("gid://shopify/"):
        return 0.8, "admin_graphql_api_id is a gid://shopify/ id"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
