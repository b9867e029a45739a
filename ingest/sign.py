"""Signing a request the way a platform would, for test deliveries
(``POST /api/integrations/{id}/test``): the inverse of ``ingest/verify``.

The signature follows from the verifier the integration uses, by family, so a new scheme
of a known family signs with no change here:

- static tokens (:class:`~ingest.verify.tokens.TokenVerifier`): the secret in the scheme's
  header, or, for a body-token scheme, in the body field its platform declares
  (``chave_unica``, ``secret``, ``token``, ...), replacing the sample's value;
- body HMACs (:class:`~ingest.verify.body_hmac.BodyHmacVerifier`, Eduzz's ``x-signature``
  and ``hmac`` included): the digest of the body in the scheme's header and encoding;
- ``t=..,v1=..`` (Stripe, Calendly), Kiwify's ``?signature=``, ``X-Hub-Signature``,
  Typeform's ``sha256=`` and Mercado Pago's manifest.

A scheme no family covers (Twilio signs the URL and form parameters with the account's
auth token) raises :class:`UnsignableError`; the caller says so instead of sending a
delivery the gateway would refuse. Pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ingest.verify import get_verifier
from ingest.verify.body_hmac import BodyHmacVerifier
from ingest.verify.hub_signature import HEADER as HUB_HEADER
from ingest.verify.kiwify import PARAM as KIWIFY_PARAM
from ingest.verify.mercadopago import REQUEST_ID, manifest
from ingest.verify.timestamped import TimestampedHmacVerifier
from ingest.verify.tokens import TokenVerifier
from ingest.verify.typeform import PREFIX as TYPEFORM_PREFIX


class UnsignableError(ValueError):
    """The scheme cannot be signed here (the message says why)."""


@dataclass
class Outgoing:
    """A request to send: where, what, with which headers."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _digest(secret: str, algorithm: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def _encode(digest: bytes, encoding: str) -> str:
    return base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()


def _with_field(body: bytes, content_type: str, name: str, secret: str) -> bytes:
    """``body`` with the top-level field ``name`` set to ``secret`` (JSON or form)."""
    if "json" in content_type or body.lstrip()[:1] == b"{":
        data = json.loads(body)
        data[name] = secret
        return json.dumps(data, ensure_ascii=False).encode()
    pairs = [(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True) if k != name]
    return urlencode([(name, secret), *pairs]).encode()


def _with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


def sign(
    scheme: str,
    secret: str,
    out: Outgoing,
    *,
    content_type: str = "application/json",
    now: int = 0,
    header: str | None = None,
) -> Outgoing:
    """``out`` signed for ``scheme`` with ``secret`` (``now``: unix seconds for timestamped
    schemes; ``header``: an integration's header override)."""
    verifier = get_verifier(scheme)
    headers = dict(out.headers)
    if isinstance(verifier, TokenVerifier):
        if verifier.fields and header is None:
            return Outgoing(
                out.url, _with_field(out.body, content_type, verifier.fields[0], secret), headers
            )
        name = header or verifier.header
        if name is None:
            raise UnsignableError(f"scheme {scheme!r} declares no header nor body field")
        headers[name] = secret
        return Outgoing(out.url, out.body, headers)
    if isinstance(verifier, TimestampedHmacVerifier):
        signed = _digest(secret, "sha256", f"{now}.".encode() + out.body).hex()
        headers[header or verifier.header] = f"t={now},v1={signed}"
        return Outgoing(out.url, out.body, headers)
    if isinstance(verifier, BodyHmacVerifier):
        name = header or verifier.header
        digest = _digest(secret, verifier.algorithm, out.body)
        prefix = TYPEFORM_PREFIX if scheme == "typeform" else ""
        headers[name] = prefix + _encode(digest, verifier.encoding)
        return Outgoing(out.url, out.body, headers)
    if scheme == "hub_signature":
        headers[header or HUB_HEADER] = "sha1=" + _digest(secret, "sha1", out.body).hex()
        return Outgoing(out.url, out.body, headers)
    if scheme == "kiwify":
        signature = _digest(secret, "sha1", out.body).hex()
        return Outgoing(_with_query(out.url, KIWIFY_PARAM, signature), out.body, headers)
    if scheme == "mercadopago":
        data = json.loads(out.body)
        data_id = str((data.get("data") or {}).get("id") or "") or None
        request_id = headers.setdefault(REQUEST_ID, "hookline-test-delivery")
        v1 = _digest(secret, "sha256", manifest(data_id, request_id, str(now))).hex()
        headers["x-signature"] = f"ts={now},v1={v1}"
        return Outgoing(out.url, out.body, headers)
    raise UnsignableError(
        f"test deliveries cannot be signed for scheme {scheme!r} (it signs the full URL "
        "with an account credential): send one from the platform itself"
    )
