"""PerfectPay postback: flat JSON {token, code, sale_status_enum_key, customer{...}, ...}.

There is no event name: the sale's status (``sale_status_enum_key``: ``approved``,
``pending``, ``refunded``, ...) is the event. The buyer is ``customer`` with ``full_name``,
``email`` and the phone split in ``phone_extension`` (DDI), ``phone_area_code`` and
``phone_number`` (also ``phone_formated``).

Sources: real postbacks pasted into public GitHub test scripts (a perfectPayService test,
"Webhook real do Perfect Pay", a credit-card sale; a test-webhook.js with a pix sale; found
by content search, names and tokens replaced), the same keys read by public integrations'
parsers (``sale_status_enum_key``, ``customer.phone_formated``), and their note that the
token travels in the body field ``token``. No public PerfectPay developer page was
available: see tests/fixtures/platforms/perfectpay__approved.json.
"""

from typing import Any

from platforms.unit import Found, Platform, Preset, dig, is_object
from schemas.mapping import Mapping

_SPLIT = (
    "customer.phone_number && join('', map(&to_string(@), "
    "[customer.phone_extension, customer.phone_area_code, customer.phone_number][?@]))"
)

PRESET = Preset(
    id="perfectpay",
    display_name="PerfectPay",
    signature_scheme="field_token",
    event="sale_status_enum_key",
    mapping=Mapping(
        event="sale_status_enum_key",
        name="customer.full_name",
        phone=(_SPLIT, "customer.phone_formated_ddi", "customer.phone_formated"),
        fields={
            "email": "customer.email",
            "document": "customer.identification_number",
            "product": ("product.name", "plan.name"),
            "value": "sale_amount",
            "status": "sale_status_detail",
            "transaction_id": "code",
        },
        default_region="BR",
    ),
    delivery_id=None,
    events={
        "pending": "Pendente",
        "approved": "Aprovada",
        "in_process": "Em processamento",
        "in_mediation": "Em mediação",
        "rejected": "Recusada",
        "cancelled": "Cancelada",
        "refunded": "Reembolsada",
        "authorized": "Autorizada",
        "charged_back": "Chargeback",
        "completed": "Completa",
        "checkout_error": "Erro no checkout",
        "precheckout": "Pré-checkout (abandono)",
        "expired": "Expirada",
        "in_review": "Em revisão",
    },
    documented=False,
    source=(
        "public postbacks (see module docstring and tests/fixtures/platforms/perfectpay__*.json)"
    ),
    notes=(
        "No public developer documentation was found: the shape comes from real postbacks "
        "published in public repositories. The status is the event (status codes from the "
        "sale_status_enum list seen in public integrations). Auth: the body field token "
        "(field_token), masked in history."
    ),
    covers=("Postback of a sale (customer, split phone; the status is the event)",),
)


def _detect(body: dict[str, Any], headers: dict[str, str]) -> Found | None:
    if "sale_status_enum_key" in body and is_object(body.get("customer")):
        return 0.9, "sale_status_enum_key with a customer block"
    if str(dig(body, "code") or "").startswith("PPCP"):
        return 0.8, "code with the PPCP prefix"
    return None


PLATFORM = Platform(preset=PRESET, credential_fields=("token",), detect=_detect)
