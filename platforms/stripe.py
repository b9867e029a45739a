"""Stripe events: {id, object: "event", type, data.object}.

Source: github:stripe/stripe-python tests/test_webhook.py @ 6c6e373 (signature) and Stripe-CLI
fixtures in github:stripe-ruby-mock/stripe-ruby-mock lib/stripe_mock/webhook_fixtures @ 2908ae2.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, text
from schemas.mapping import Mapping

PRESET = Preset(
    id="stripe",
    display_name="Stripe",
    signature_scheme="stripe",
    event="type",
    mapping=Mapping(
        event="type",
        # checkout.session.* carry customer_details, charges billing_details, orders and
        # payment intents shipping, invoices customer_name/customer_phone, customers
        # name/phone at the top of the object.
        name=(
            "data.object.customer_details.name",
            "data.object.billing_details.name",
            "data.object.shipping.name",
            "data.object.customer_name",
            "data.object.name",
        ),
        phone=(
            "data.object.customer_details.phone",
            "data.object.billing_details.phone",
            "data.object.shipping.phone",
            "data.object.customer_phone",
            "data.object.phone",
        ),
        fields={
            "email": (
                "data.object.customer_details.email",
                "data.object.customer_email",
                "data.object.billing_details.email",
                "data.object.receipt_email",
                "data.object.email",
            ),
            "value": "data.object.amount_total || data.object.amount",
            "status": "data.object.payment_status || data.object.status",
            "transaction_id": "data.object.id",
        },
        default_region="BR",
    ),
    delivery_id="id",
    events={
        "checkout.session.completed": "Checkout concluído",
        "checkout.session.expired": "Checkout expirado",
        "checkout.session.async_payment_succeeded": "Pagamento assíncrono confirmado",
        "checkout.session.async_payment_failed": "Pagamento assíncrono falhou",
        "payment_intent.succeeded": "Pagamento aprovado",
        "payment_intent.payment_failed": "Pagamento falhou",
        "charge.succeeded": "Cobrança aprovada",
        "charge.refunded": "Cobrança reembolsada",
        "charge.dispute.created": "Disputa aberta",
        "customer.created": "Cliente criado",
        "customer.subscription.created": "Assinatura criada",
        "customer.subscription.deleted": "Assinatura cancelada",
        "invoice.paid": "Fatura paga",
        "invoice.payment_failed": "Falha no pagamento da fatura",
    },
    documented=True,
    source="https://docs.stripe.com/api/events/object",
    notes=(
        "Phones are E.164 when present (checkout needs phone_number_collection enabled). "
        "customer_details.name is absent on older API versions."
    ),
    covers=(
        "checkout.session.* (data.object.customer_details)",
        "charge.* (data.object.billing_details, then shipping)",
        "payment_intent.* (data.object.shipping)",
        "invoice.* (data.object.customer_name, customer_phone, customer_email)",
        "customer.* (data.object.name, phone, email)",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    envelope = body.get("object") == "event" and text(body.get("id")).startswith("evt_")
    if "stripe-signature" in headers:
        return (0.99 if envelope else 0.95), "Stripe-Signature header"
    if envelope:
        return 0.9, 'object "event" with an evt_ id'
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
