"""Mercado Pago webhooks: thin notifications {id, type, action, data{id}, ...}.

The event is the dotted ``action`` (``payment.created``, ``payment.updated``), not ``type``
(``payment``, the topic). The payer is never in the notification: it must be fetched
(GET /v1/payments/{data.id}), so the preset is ids-only.

Sources: Mercado Pago Developers "Notificações > Webhooks"
(https://www.mercadopago.com.br/developers/pt/docs/your-integrations/notifications/webhooks;
the body fields, ``action``, and the ``x-signature`` scheme), with headers and body
exemplified in github:api-evangelist/mercado-pago
examples/mercado-pago-webhook-payment-example.json (tests/fixtures/platforms/
mercadopago__payment.updated.json).
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, is_object, text

PRESET = Preset(
    id="mercadopago",
    display_name="Mercado Pago",
    signature_scheme="mercadopago",
    event="action",
    mapping=None,
    # The notification id repeats on redelivery.
    delivery_id="id",
    events={
        "payment.created": "Pagamento criado",
        "payment.updated": "Pagamento atualizado",
        "application.authorized": "Aplicação autorizada",
        "application.deauthorized": "Aplicação desautorizada",
        "subscription_preapproval.created": "Assinatura criada",
        "subscription_preapproval.updated": "Assinatura atualizada",
        "subscription_authorized_payment.created": "Pagamento de assinatura criado",
        "order.processed": "Order processada",
        "topic_chargebacks_wh": "Chargeback",
        "topic_claims_integration_wh": "Reclamação",
    },
    documented=True,
    source=(
        "https://www.mercadopago.com.br/developers/pt/docs/your-integrations/notifications/webhooks"
    ),
    notes=(
        "Signature: x-signature ts/v1, HMAC-SHA256 of id:<data.id>;request-id:<x-request-id>;"
        "ts:<ts>; with the application's secret. The event is action, not type."
    ),
    ids_only=(
        "Mercado Pago sends only ids (data.id of the payment): no payer in the webhook. "
        "Enrich from its API (GET /v1/payments/{data.id}) before mapping."
    ),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    action = text(body.get("action"))
    if "x-signature" in headers and "x-request-id" in headers and action:
        return 0.95, "x-signature and x-request-id headers with an action"
    data = body.get("data")
    if action and "api_version" in body and is_object(data) and dig(body, "data", "id"):
        return 0.9, f"action '{action}' with api_version and data.id"
    return None


PLATFORM = Platform(preset=PRESET, detect=_detect)
