"""Official vectors stored in the shared samples: Stripe and Twilio.

Samples live in ../../../shared/samples (override: HOOKLINE_SAMPLES_DIR); with
CI=true a missing directory fails instead of skipping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from schemas.signature import SignatureConfig
from tests.samples import require_samples_dir


def samples_dir() -> Path:
    return require_samples_dir()


def load(name: str) -> dict[str, Any]:
    return json.loads((samples_dir() / name).read_text(encoding="utf-8"))


def test_missing_samples_fail_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOOKLINE_SAMPLES_DIR", str(tmp_path / "absent"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        samples_dir()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        samples_dir()


# Stripe: secret whsec_test_secret, raw_body as stored, t=1700000000 ------------------


@pytest.fixture(scope="module")
def stripe() -> dict[str, Any]:
    return load("stripe__signature_test_vector.json")


def _stripe(vector: dict[str, Any], at: float, body: bytes | None = None) -> UnverifiedRequest:
    test = vector["signature_test"]
    header = test["example_computed_here"]["Stripe-Signature"]
    raw = vector["raw_body"].encode() if body is None else body
    return UnverifiedRequest(
        method="POST", url="https://h/in", headers={test["header"]: header}, body=raw,
        received_at=at,
    )  # fmt: skip


def _stripe_config(vector: dict[str, Any]) -> SignatureConfig:
    return SignatureConfig(scheme="stripe", secret=vector["signature_test"]["secret"])


def test_stripe_vector_fresh(stripe: dict[str, Any]) -> None:
    header = stripe["signature_test"]["example_computed_here"]["Stripe-Signature"]
    assert header.endswith("3bfab77baf5f7b6991a46c9b53b6547d7afc56148b10468fcad9f35c1992ffbd")
    verified = verify(_stripe(stripe, at=1_700_000_000 + 10), _stripe_config(stripe))
    assert verified.scheme == "stripe"


@pytest.mark.parametrize("at", [1_700_000_000 + 301, 1_800_000_000, 1_700_000_000 - 301])
def test_stripe_vector_stale_or_future(stripe: dict[str, Any], at: float) -> None:
    with pytest.raises(SignatureRejected, match=r"^timestamp outside tolerance \(300 s\)$"):
        verify(_stripe(stripe, at=at), _stripe_config(stripe))


def test_stripe_vector_reserialised_body_fails(stripe: dict[str, Any]) -> None:
    reserialised = json.dumps(json.loads(stripe["raw_body"])).encode()
    request = _stripe(stripe, at=1_700_000_000 + 10, body=reserialised)
    with pytest.raises(SignatureRejected, match=r"^signature mismatch$"):
        verify(request, _stripe_config(stripe))


# Twilio: token 12345, URL + form params -> RSOYDt4T1cUTdK1PDd93/VVr8B8= -------------


@pytest.fixture(scope="module")
def twilio() -> dict[str, Any]:
    return load("twilio__signature_test_vector.json")


def _twilio(url: str, body: bytes, signature: str) -> UnverifiedRequest:
    headers = {"X-Twilio-Signature": signature}
    return UnverifiedRequest(method="POST", url=url, headers=headers, body=body, received_at=0)


def test_twilio_form_vector(twilio: dict[str, Any]) -> None:
    test = twilio["signature_test"]
    config = SignatureConfig(scheme="twilio", secret=test["auth_token"])
    request = _twilio(test["url"], twilio["body"].encode(), test["expected_X-Twilio-Signature"])
    assert verify(request, config).scheme == "twilio"
    signature = test["expected_X-Twilio-Signature"]
    tampered = _twilio(test["url"], twilio["body"].encode() + b"&x=1", signature)
    with pytest.raises(SignatureRejected, match=r"^signature mismatch$"):
        verify(tampered, config)


def test_twilio_body_hash_vector(twilio: dict[str, Any]) -> None:
    test = twilio["signature_test"]
    body_hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    assert body_hash in test["also"]
    url = f"{test['url']}&bodySHA256={body_hash}"
    body = b'{"property": "value", "boolean": true}'
    config = SignatureConfig(scheme="twilio", secret=test["auth_token"])
    # Signature from the official SDK test (test_validation_of_body_succeeds).
    assert verify(_twilio(url, body, "a9nBmqA0ju/hNViExpshrM61xv4="), config)
    with pytest.raises(SignatureRejected, match=r"^body hash mismatch \(bodySHA256\)$"):
        verify(_twilio(url, body + b" ", "a9nBmqA0ju/hNViExpshrM61xv4="), config)
