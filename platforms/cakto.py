"""Cakto (Brazilian checkout) webhooks: POST JSON {secret, event, data{order}}.

Sources (official):
- https://docs.cakto.com.br/conceitos/webhooks.md ("Guia de Webhooks"): every delivery is a
  JSON POST with User-Agent CaktoBot/1.0 whose body always has three fields, ``secret``,
  ``event`` and ``data``; no signature header, the origin is proven by ``secret`` (the
  webhook's ``fields.secret`` in https://docs.cakto.com.br/api-reference/webhooks/update,
  whose example also names the ``initiate_checkout`` event).
- Cakto's webhook documentation page,
  https://burly-level-c93.notion.site/Webhooks-pt-br-13c5b1d7878780d792f0fcda3411955c :
  the event identifiers ("Como identificar pelo JSON o evento") and example deliveries for a
  one-off sale, a subscription sale, a cancellation and a renewal; verbatim copy in
  github:fiverlaine/tracktelegram webhooks.md @ 8a54ba5, whose subscription purchase_approved
  is tests/fixtures/platforms/cakto__purchase_approved.json.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, is_object, text
from schemas.mapping import Mapping

PRESET = Preset(
    id="cakto",
    display_name="Cakto",
    signature_scheme="field_token",
    event="event",
    mapping=Mapping(
        event="event",
        name="data.customer.name",
        # One string, with or without the country code ("34999999999", "5534991462388").
        phone="data.customer.phone",
        fields={
            "email": "data.customer.email",
            "document": "data.customer.docNumber",
            "product": "data.product.name",
            "value": "data.amount",
            "status": "data.status",
            "transaction_id": "data.id",
        },
        default_region="BR",
    ),
    # data.id is the order, shared by its purchase_approved and a later refund: not a
    # delivery id. Dedup falls back to the body hash.
    delivery_id=None,
    events={
        "initiate_checkout": "Checkout iniciado",
        "checkout_abandonment": "Abandono de checkout",
        "pix_gerado": "Pix gerado",
        "boleto_gerado": "Boleto gerado",
        "picpay_gerado": "PicPay gerado",
        "purchase_approved": "Compra aprovada",
        "purchase_refused": "Compra recusada",
        "refund": "Reembolso",
        "chargeback": "Chargeback",
        "subscription_canceled": "Assinatura cancelada",
        "subscription_renewed": "Assinatura renovada",
    },
    documented=True,
    source="https://docs.cakto.com.br/conceitos/webhooks.md",
    notes=(
        "Auth: the webhook's secret arrives as the body field secret (no HMAC, no header), "
        "checked with field_token and masked in history. Subscription events carry data.customer "
        "too (besides data.subscription.customer). Amounts in reais. Only the events the docs "
        "name are listed; Cakto's API accepts more."
    ),
    covers=(
        "Webhooks {secret, event, data}: one-off and subscription sales, cancellations, renewals "
        "(data.customer)",
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if text(headers.get("user-agent")).startswith("CaktoBot/"):
        return 0.99, "User-Agent CaktoBot"
    if "pay.cakto.com.br" in text(dig(body, "data", "checkoutUrl")):
        return 0.95, "data.checkoutUrl on pay.cakto.com.br"
    data = body.get("data")
    if {"secret", "event"} <= set(body) and is_object(data) and "refId" in data:
        return 0.85, "secret + event + data.refId envelope"
    return None


PLATFORM = Platform(preset=PRESET, credential_fields=("secret",), detect=_detect)
