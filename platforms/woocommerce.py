"""WooCommerce webhooks: the body is the REST v3 resource, the topic in X-WC-Webhook-Topic.

Source: github:woocommerce/woocommerce-rest-api-docs source/includes/wp-api-v3/_webhooks.md and
_orders.md @ 13d6196 (official; order billing{first_name,last_name,email,phone}).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, header, headers_starting
from schemas.mapping import Mapping

_TOPIC = header("X-WC-Webhook-Topic")

PRESET = Preset(
    id="woocommerce",
    display_name="WooCommerce",
    signature_scheme="woocommerce",
    event=_TOPIC,
    mapping=Mapping(
        event=_TOPIC,
        # Orders carry billing{}; customer.* topics carry first_name/last_name at the root.
        name=(
            "join(' ', [billing.first_name, billing.last_name][?@]) "
            "|| join(' ', [first_name, last_name][?@])"
        ),
        phone="billing.phone || shipping.phone",
        fields={
            "email": "billing.email || email",
            "product": "line_items[0].name",
            "value": "total",
            "status": "status",
            "transaction_id": "to_string(id)",
        },
        default_region="BR",
    ),
    delivery_id=header("X-WC-Webhook-Delivery-ID"),
    events={
        "order.created": "Pedido criado",
        "order.updated": "Pedido atualizado",
        "order.deleted": "Pedido excluído",
        "order.restored": "Pedido restaurado",
        "customer.created": "Cliente criado",
        "customer.updated": "Cliente atualizado",
        "customer.deleted": "Cliente excluído",
        "product.created": "Produto criado",
        "product.updated": "Produto atualizado",
        "coupon.created": "Cupom criado",
    },
    documented=True,
    source=(
        "github:woocommerce/woocommerce-rest-api-docs source/includes/wp-api-v3/_webhooks.md "
        "@ 13d6196"
    ),
    notes=(
        "The creation ping is a form body webhook_id=<id> with no topic header: it maps to "
        "nothing and is expected to dead-letter harmlessly. Billing phone is free text."
    ),
    covers=("REST API v3 webhooks: order.* (billing), event in X-WC-Webhook-Topic",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    found = headers_starting(headers, "x-wc-webhook-")
    if found:
        return 0.99, f"headers {', '.join(found[:3])}"
    if set(body) == {"webhook_id"}:
        return 0.6, "body is only webhook_id (WooCommerce creation ping)"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
