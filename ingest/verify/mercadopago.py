"""Mercado Pago: ``x-signature: ts=<unix>,v1=<hex>`` where
``v1 = hex(HMAC-SHA256(secret, "id:<data.id>;request-id:<x-request-id>;ts:<ts>;"))``.

``data.id`` is the query parameter of the notification URL (``?data.id=...&type=payment``),
else the body's ``data.id``; lower-cased when alphanumeric, as the docs say. Parts of the
template whose value is missing are left out, as the docs' own example code does.

Source: Mercado Pago Developers, "Notificações > Webhooks > Validar origem da notificação"
(https://www.mercadopago.com.br/developers/pt/docs/your-integrations/notifications/webhooks),
whose headers and body are exemplified in github:api-evangelist/mercado-pago
examples/mercado-pago-webhook-payment-example.json.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar

from ingest.verify.base import SignatureRejected, UnverifiedRequest
from ingest.verify.checks import check_signature, hmac_digest, required_header
from ingest.verify.registry import register

if TYPE_CHECKING:
    from schemas.signature import SignatureConfig

HEADER = "x-signature"
REQUEST_ID = "x-request-id"


def manifest(data_id: str | None, request_id: str | None, ts: str) -> bytes:
    """The signed template; missing parts are omitted."""
    parts = []
    if data_id:
        parts.append(f"id:{data_id.lower() if data_id.isalnum() else data_id};")
    if request_id:
        parts.append(f"request-id:{request_id};")
    parts.append(f"ts:{ts};")
    return "".join(parts).encode()


def data_id(request: UnverifiedRequest) -> str | None:
    for value in request.query.get("data.id", []) + request.query.get("id", []):
        if value.strip():
            return value.strip()
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        return None
    found = body.get("data", {}).get("id") if isinstance(body, dict) else None
    if isinstance(body, dict) and not isinstance(body.get("data"), dict):
        found = None
    return str(found) if found not in (None, "") else None


@register("mercadopago")
class MercadoPagoVerifier:
    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()
    credential_headers: ClassVar[tuple[str, ...]] = (HEADER,)
    credential_query: ClassVar[tuple[str, ...]] = ()

    def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
        value = required_header(request, HEADER)
        parts = dict(
            (key.strip(), val.strip())
            for key, _, val in (item.partition("=") for item in value.split(","))
        )
        ts, v1 = parts.get("ts"), parts.get("v1")
        if not ts or not v1:
            raise SignatureRejected(f"malformed header {HEADER}: expected ts=...,v1=...")
        request_id = request.headers.get(REQUEST_ID, "").strip() or None
        expected = hmac_digest(config, "sha256", manifest(data_id(request), request_id, ts))
        check_signature([expected], [v1], "hex", f"header {HEADER}")
