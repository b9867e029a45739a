"""Timestamped schemes: stripe (300 s) and calendly (180 s). The official Stripe
vector is in test_verify_vectors.py."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from schemas.signature import SignatureConfig

SECRET = "whsec_unit"
BODY = b'{"id": "evt_1", "object": "event"}'
T = 1_700_000_000
SCHEMES = [("stripe", "Stripe-Signature", 300), ("calendly", "Calendly-Webhook-Signature", 180)]
parametrized = pytest.mark.parametrize(("scheme", "header", "tolerance"), SCHEMES)


def _v1(secret: str = SECRET, t: int = T, body: bytes = BODY) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def _req(header: str, value: str | None, at: float = T + 10, body: bytes = BODY):
    headers = {} if value is None else {header: value}
    url = "https://h/in"
    return UnverifiedRequest(method="POST", url=url, headers=headers, body=body, received_at=at)


def _reason(request: UnverifiedRequest, scheme: str, **options: int) -> str:
    with pytest.raises(SignatureRejected) as info:
        verify(request, SignatureConfig(scheme=scheme, secret=SECRET, **options))
    assert SECRET not in str(info.value)
    return info.value.reason


@parametrized
def test_good(scheme: str, header: str, tolerance: int) -> None:
    config = SignatureConfig(scheme=scheme, secret=SECRET)
    assert verify(_req(header, f"t={T},v1={_v1()}"), config).scheme == scheme
    # Either side of the window, exactly at its edge.
    assert verify(_req(header, f"t={T},v1={_v1()}", at=T + tolerance), config)
    assert verify(_req(header, f"t={T},v1={_v1()}", at=T - tolerance), config)


@parametrized
def test_any_v1_may_match_and_other_versions_are_ignored(
    scheme: str, header: str, tolerance: int
) -> None:
    value = f"t={T}, v1={_v1('whsec_old')}, v1={_v1()}, v0={'0' * 64}, v2=zz"
    assert verify(_req(header, value), SignatureConfig(scheme=scheme, secret=SECRET))


@parametrized
def test_tampered_body_and_wrong_secret(scheme: str, header: str, tolerance: int) -> None:
    tampered = _req(header, f"t={T},v1={_v1()}", body=BODY + b"\n")
    assert _reason(tampered, scheme) == "signature mismatch"
    assert _reason(_req(header, f"t={T},v1={_v1('whsec_x')}"), scheme) == "signature mismatch"
    # The timestamp is signed: moving it breaks the signature.
    assert _reason(_req(header, f"t={T + 1},v1={_v1()}"), scheme) == "signature mismatch"


@parametrized
def test_missing_header(scheme: str, header: str, tolerance: int) -> None:
    assert _reason(_req(header, None), scheme) == f"missing header {header}"
    assert _reason(_req(header, ""), scheme) == f"missing header {header}"


@parametrized
@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("garbage", ""),
        (f"v1={_v1()}", ": expected one t=<unix seconds>"),
        (f"t=soon,v1={_v1()}", ": expected one t=<unix seconds>"),
        (f"t=-{T},v1={_v1()}", ": expected one t=<unix seconds>"),
        (f"t={'9' * 5000},v1={_v1()}", ": expected one t=<unix seconds>"),
        (f"t={T},t={T},v1={_v1()}", ": expected one t=<unix seconds>"),
        (f"t={T}", ": no v1 signature"),
        (f"t={T},v0={_v1()}", ": no v1 signature"),
        (f"t={T},v1=nothex", ""),
        (f"t={T},v1={_v1()[:-2]}", ""),
    ],
)
def test_malformed_header(scheme: str, header: str, tolerance: int, value: str, detail: str):
    assert _reason(_req(header, value), scheme) == f"malformed header {header}{detail}"


@parametrized
def test_stale_and_future_timestamps(scheme: str, header: str, tolerance: int) -> None:
    value = f"t={T},v1={_v1()}"
    expected = f"timestamp outside tolerance ({tolerance} s)"
    assert _reason(_req(header, value, at=T + tolerance + 1), scheme) == expected
    assert _reason(_req(header, value, at=T - tolerance - 1), scheme) == expected


@parametrized
def test_tolerance_is_configurable(scheme: str, header: str, tolerance: int) -> None:
    request = _req(header, f"t={T},v1={_v1()}", at=T + 61)
    reason = _reason(request, scheme, tolerance_seconds=60)
    assert reason == "timestamp outside tolerance (60 s)"
    config = SignatureConfig(scheme=scheme, secret=SECRET, tolerance_seconds=3600)
    assert verify(_req(header, f"t={T},v1={_v1()}", at=T + 3000), config)
