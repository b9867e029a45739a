"""Eduzz webhooks, every family one integration may receive:

- **MyEduzz** (``myeduzz.*``): envelope {id, event, sentDate, data}, the buyer in
  ``data.buyer`` (github:eduzz/eduzz-webhook-docs events/myeduzz/*.md @ fbe5538, official);
- **Nutror** (``nutror.*``): the learner in ``data.learner`` (name, e-mail; no phone),
  events/nutror/enrollment_created.md; **Alpaclass** (``alpaclass.*``): ``data.student``,
  events/alpaclass/student_created.md; **Blinket** (``blinket.*``): the buyer in
  ``data.buyer``, the attendee in ``data.participant``, events/blinket/attendance_added.md;
- **legacy webhook** (deprecated 2024, still sent): flat fields, ``type`` = ``invoice``
  (``cus_name``, ``cus_cel``, ``cus_email``, ``trans_status``) or ``abandonment``
  (``customer[name]``, ``customer[phone]``, ``customer[email]``), in JSON or as a form
  post (github:eduzz/webhook README.md and v2/README.md @ 42c9bf2, official, whose test
  events are tests/fixtures/platforms/eduzz__invoice.3.json and eduzz__abandonment.json).

The event of a legacy invoice is ``invoice.<trans_status>`` (``invoice.3`` = paid), so a
conversion event can tell paid from cancelled as it can with ``myeduzz.invoice_paid``.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, text
from schemas.mapping import Mapping

#: New families name their event; a legacy invoice is qualified by its status.
_EVENT = (
    "event",
    "type == 'invoice' && trans_status && join('.', ['invoice', to_string(trans_status)])",
    "type",
)

PRESET = Preset(
    id="eduzz",
    display_name="Eduzz",
    signature_scheme="eduzz",
    event=_EVENT,
    mapping=Mapping(
        event=_EVENT,
        name=(
            "data.buyer.name",
            "data.learner.name",
            "data.student.name",
            "data.participant.name",
            "cus_name",
            '"customer[name]"',
            "customer.name",
        ),
        # The docs list phone, phone2 and cellphone; the cellphone is the WhatsApp candidate.
        phone=(
            "data.buyer.cellphone",
            "data.buyer.phone",
            "data.buyer.phone2",
            "data.student.phone",
            "data.participant.phone",
            "cus_cel",
            "cus_tel",
            "cus_tel2",
            '"customer[phone]"',
            "customer.phone",
        ),
        fields={
            "email": (
                "data.buyer.email",
                "data.learner.email",
                "data.student.email",
                "data.participant.email",
                "cus_email",
                '"customer[email]"',
                "customer.email",
            ),
            "document": ("data.buyer.document", "data.student.document", "cus_taxnumber"),
            "product": (
                "data.items[0].name",
                "data.courses[0].title",
                "data.content.title",
                "data.event.name",
                "product_name",
                '"product[title]"',
            ),
            "value": ("data.price.value", "trans_value"),
            "status": ("data.status", "trans_status"),
            "transaction_id": ("data.id", "trans_cod", "invoiceId"),
        },
        default_region="BR",
    ),
    delivery_id="id",
    events={
        "myeduzz.invoice_opened": "Fatura aberta",
        "myeduzz.invoice_paid": "Fatura paga",
        "myeduzz.invoice_canceled": "Fatura cancelada",
        "myeduzz.invoice_expired": "Fatura expirada",
        "myeduzz.invoice_overdue": "Fatura vencida",
        "myeduzz.invoice_negotiated": "Fatura negociada",
        "myeduzz.invoice_recovering": "Fatura em recuperação",
        "myeduzz.invoice_refunded": "Fatura reembolsada",
        "myeduzz.invoice_refused": "Fatura recusada",
        "myeduzz.invoice_scheduled": "Fatura agendada",
        "myeduzz.invoice_updated": "Fatura atualizada",
        "myeduzz.invoice_waiting_payment": "Aguardando pagamento",
        "myeduzz.invoice_waiting_refund": "Aguardando reembolso",
        "myeduzz.cart_abandonment": "Abandono de carrinho",
        "myeduzz.contract_created": "Assinatura criada",
        "myeduzz.contract_updated": "Assinatura atualizada",
        "myeduzz.commission_processed": "Comissão processada",
        "nutror.enrollment_created": "Nova matrícula (Nutror)",
        "nutror.module_completed": "Módulo concluído (Nutror)",
        "alpaclass.student_created": "Aluno cadastrado (Alpaclass)",
        "blinket.attendance_added": "Participante adicionado (Blinket)",
        "blinket.attendance_canceled": "Participação cancelada (Blinket)",
        "invoice.1": "Fatura aberta (webhook legado)",
        "invoice.3": "Fatura paga (webhook legado)",
        "invoice.4": "Fatura cancelada (webhook legado)",
        "invoice.6": "Aguardando reembolso (webhook legado)",
        "invoice.7": "Fatura reembolsada (webhook legado)",
        "invoice.9": "Fatura duplicada (webhook legado)",
        "invoice.10": "Fatura expirada (webhook legado)",
        "abandonment": "Abandono de carrinho (webhook legado)",
    },
    documented=True,
    source="github:eduzz/eduzz-webhook-docs events/myeduzz/invoice_paid.md @ fbe5538",
    notes=(
        "Buyer phones come without country code (default region BR; the legacy cus_cel keeps "
        "the trunk 0: 011999999999). Nutror events carry no phone: the lead needs one from "
        "another event. Auth: x-signature HMAC (new) or origin_secret in the body (legacy)."
    ),
    covers=(
        "MyEduzz (myeduzz.*): invoices, contracts, cart abandonment (data.buyer)",
        "Nutror (nutror.*): data.learner (name, e-mail; no phone)",
        "Alpaclass (alpaclass.*): data.student",
        "Blinket (blinket.*): data.buyer, then data.participant",
        "Legacy webhook, type invoice (cus_name, cus_cel/cus_tel, cus_email; event "
        "invoice.<status>)",
        "Legacy webhook, type abandonment (customer[name], customer[phone], customer[email])",
    ),
)


_PREFIXES = ("myeduzz.", "nutror.", "blinket.", "alpaclass.")


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    event = text(body.get("event"))
    if event.startswith(_PREFIXES):
        signed = "x-signature" in headers
        return (0.99 if signed else 0.95), f"event '{event}' has an Eduzz product prefix"
    if body.get("type") == "invoice" and {"trans_cod", "cus_email"} <= set(body):
        return 0.9, "legacy invoice webhook (type invoice, trans_cod, cus_email)"
    if body.get("type") == "abandonment" and "customer[email]" in body:
        return 0.85, "legacy abandonment webhook (type abandonment, customer[...])"
    return None


PLATFORM = Platform(
    preset=PRESET,
    # Legacy webhooks (deprecated 2024) carry a static token in the body: origin_secret (the
    # docs also say origin), or api_key kept "for compatibility" (github:eduzz/webhook
    # README.md @ cf324c7). The eduzz scheme reads them when no x-signature header came.
    credential_fields=("origin_secret", "origin", "api_key"),
    # Affiliate postbacks (TRACKER.*) send the account's API key in this header
    # (github:ziel-17/postback-eduzz README.md); no scheme checks it, it is only dropped.
    credential_headers=("X-EduzzApi",),
    detect=_detect,
)
