"""Which platform sent this webhook? Recognisable headers and body shapes only.

:func:`detect_platform` returns ``(preset_id, confidence, reason)`` tuples, best first; an
empty list means "nothing recognisable" (use the generic preset). Each rule looks at one
documented trait (a signature header, an envelope field, an event-name prefix); a platform
keeps its best rule. Shapes reported only by secondary sources score lower and say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Detection = tuple[str, float, str]
_Rule = Callable[[dict[str, Any], dict[str, str]], tuple[float, str] | None]

_RULES: list[tuple[str, _Rule]] = []


def _rule(platform_id: str) -> Callable[[_Rule], _Rule]:
    def register(function: _Rule) -> _Rule:
        _RULES.append((platform_id, function))
        return function

    return register


def _has_prefix(headers: dict[str, str], prefix: str) -> list[str]:
    return sorted(name for name in headers if name.startswith(prefix))


def _get(body: dict[str, Any], *keys: str) -> Any:
    value: Any = body
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@_rule("shopify")
def _shopify(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    found = _has_prefix(headers, "x-shopify-")
    if found:
        return 0.99, f"headers {', '.join(found[:3])}"
    if _text(body.get("admin_graphql_api_id")).startswith("gid://shopify/"):
        return 0.8, "admin_graphql_api_id is a gid://shopify/ id"
    return None


@_rule("woocommerce")
def _woocommerce(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    found = _has_prefix(headers, "x-wc-webhook-")
    if found:
        return 0.99, f"headers {', '.join(found[:3])}"
    if set(body) == {"webhook_id"}:
        return 0.6, "body is only webhook_id (WooCommerce creation ping)"
    return None


@_rule("stripe")
def _stripe(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    envelope = body.get("object") == "event" and _text(body.get("id")).startswith("evt_")
    if "stripe-signature" in headers:
        return (0.99 if envelope else 0.95), "Stripe-Signature header"
    if envelope:
        return 0.9, 'object "event" with an evt_ id'
    return None


_HOTMART_DATA = ("buyer", "purchase", "subscriber", "subscription", "product")


@_rule("hotmart")
def _hotmart(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "x-hotmart-hottok" in headers:
        return 0.99, "X-HOTMART-HOTTOK header"
    data = body.get("data")
    shaped = isinstance(data, Mapping) and any(key in data for key in _HOTMART_DATA)
    if body.get("version") in ("2.0.0", "1.0.0") and shaped and "event" in body:
        return 0.9, f'version "{body["version"]}" envelope with data.buyer/purchase/subscriber'
    if "hottok" in body:
        return 0.8, "hottok field in the body"
    return None


_EDUZZ_PREFIXES = ("myeduzz.", "nutror.", "blinket.", "alpaclass.")


@_rule("eduzz")
def _eduzz(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    event = _text(body.get("event"))
    if event.startswith(_EDUZZ_PREFIXES):
        signed = "x-signature" in headers
        return (0.99 if signed else 0.95), f"event '{event}' has an Eduzz product prefix"
    return None


@_rule("twilio")
def _twilio(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    sids = [key for key in ("MessageSid", "SmsSid", "CallSid") if key in body]
    if "x-twilio-signature" in headers:
        return 0.99, "X-Twilio-Signature header"
    if "AccountSid" in body and sids:
        return 0.95, f"AccountSid + {sids[0]}"
    if sids and "From" in body and "To" in body:
        return 0.8, f"{sids[0]} with From/To"
    return None


@_rule("calendly")
def _calendly(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "calendly-webhook-signature" in headers:
        return 0.99, "Calendly-Webhook-Signature header"
    if _text(body.get("created_by")).startswith("https://api.calendly.com/"):
        return 0.95, "created_by is an api.calendly.com URI"
    event = _text(body.get("event"))
    if event.startswith(("invitee.", "invitee_no_show.", "routing_form_submission.")) and (
        isinstance(body.get("payload"), Mapping)
    ):
        return 0.85, f"event '{event}' with a payload object"
    return None


@_rule("vtex")
def _vtex(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if body.get("hookConfig") == "ping":
        return 0.9, 'VTEX hook configuration ping {"hookConfig": "ping"}'
    if {"OrderId", "State"} <= set(body) and ("Origin" in body or "Domain" in body):
        return 0.85, "OrderId + State + Origin/Domain (Orders Hook)"
    return None


@_rule("kiwify")
def _kiwify(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "webhook_event_type" in body and ("order_status" in body or "Customer" in body):
        return 0.9, "webhook_event_type with order_status/Customer"
    if "order_status" in body and isinstance(body.get("Customer"), Mapping):
        return 0.8, "order_status with a capitalised Customer block"
    return None


@_rule("asaas")
def _asaas(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "asaas-access-token" in headers:
        return 0.95, "asaas-access-token header"
    event = _text(body.get("event"))
    for resource in ("payment", "subscription", "invoice", "transfer", "checkout"):
        if _get(body, resource, "object") == resource and event.startswith(resource.upper()):
            return 0.9, f"event '{event}' with a {resource} object"
    return None


@_rule("nuvemshop")
def _nuvemshop(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "x-linkedstore-hmac-sha256" in headers:
        return 0.99, "X-Linkedstore-HMAC-SHA256 header"
    event = _text(body.get("event"))
    if "store_id" in body and re.fullmatch(r"[a-z_]+/[a-z_]+", event):
        return 0.75, f"store_id with a resource/action event '{event}'"
    return None


@_rule("yampi")
def _yampi(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "x-yampi-hmac-sha256" in headers:
        return 0.99, "X-Yampi-Hmac-SHA256 header"
    if "event" in body and "resource" in body and _get(body, "merchant", "alias") is not None:
        return 0.8, "event + merchant.alias + resource envelope"
    return None


@_rule("ticto")
def _ticto(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    phone = _get(body, "customer", "phone")
    if "token" in body and _get(body, "order", "hash") is not None:
        return 0.85, "token + order.hash"
    if body.get("version") == "2.0" and isinstance(phone, Mapping) and "ddd" in phone:
        return 0.8, 'version "2.0" with customer.phone.ddd'
    return None


@_rule("monetizze")
def _monetizze(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "chave_unica" in body and ("comprador" in body or "comprador[nome]" in body):
        return 0.9, "chave_unica with comprador"
    if "tipoEvento" in body or "tipoEvento[codigo]" in body:
        return 0.8, "tipoEvento block"
    return None


@_rule("tray")
def _tray(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if {"scope_name", "act", "seller_id"} <= set(body):
        return 0.6, "scope_name + act + seller_id (reported shape, not verified in docs)"
    return None


@_rule("activecampaign")
def _activecampaign(body: dict[str, Any], headers: dict[str, str]) -> tuple[float, str] | None:
    if "type" not in body:
        return None
    if any(str(key).startswith("contact[") for key in body):
        return 0.7, "type + contact[...] form keys"
    if "initiated_from" in body and isinstance(body.get("contact"), Mapping):
        return 0.6, "type + initiated_from with a contact block"
    return None


def detect_platform(body: Any, headers: Mapping[str, str] | None = None) -> list[Detection]:
    """Candidate presets for one request, most likely first."""
    lowered = {str(name).lower(): value for name, value in (headers or {}).items()}
    data = dict(body) if isinstance(body, Mapping) else {}
    best: dict[str, tuple[float, str]] = {}
    for platform_id, rule in _RULES:
        found = rule(data, lowered)
        if found and found[0] > best.get(platform_id, (0.0, ""))[0]:
            best[platform_id] = found
    ranked = [(pid, conf, reason) for pid, (conf, reason) in best.items()]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked


__all__ = ["Detection", "detect_platform"]
