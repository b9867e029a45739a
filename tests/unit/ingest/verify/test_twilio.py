"""Twilio: URL + sorted POST params, or URL with bodySHA256 for JSON bodies.

Literal signatures are the official twilio-python test vectors
(tests/unit/test_request_validator.py @ 306691e, token 12345); the sample-file
vectors are checked in test_verify_vectors.py."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from schemas.signature import SignatureConfig

CONFIG = SignatureConfig(scheme="twilio", secret="12345")
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM = (
    b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212"
    b"&Caller=%2B14158675309"
)
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_URL = URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


def _req(url: str, body: bytes, signature: str | None) -> UnverifiedRequest:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return UnverifiedRequest(method="POST", url=url, headers=headers, body=body, received_at=0)


def _reason(request: UnverifiedRequest) -> str:
    with pytest.raises(SignatureRejected) as info:
        verify(request, CONFIG)
    return info.value.reason


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (URL.replace(".com", ".com:1234"), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),  # port removed
        (URL.replace(".com", ".com:1234").replace("https", "http"), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # signed with :443 added
        (URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # signed with :80 added
    ],
)
def test_sdk_vectors_with_and_without_port(url: str, signature: str) -> None:
    assert verify(_req(url, FORM, signature), CONFIG).scheme == "twilio"


def test_sdk_vector_sorts_names_and_values_and_drops_duplicate_values() -> None:
    body = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234"
    assert verify(_req(URL, body, "IK+Dwps556ElfBT0I3Rgjkr1wJU="), CONFIG)


def test_sdk_vector_json_body_signs_the_url_only() -> None:
    assert verify(_req(JSON_URL, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="), CONFIG)


def test_independent_construction() -> None:
    body = b"From=%2B1&Body=Hi+there&Empty="
    signed = URL + "Body" + "Hi there" + "Empty" + "" + "From" + "+1"
    digest = hmac.new(b"12345", signed.encode(), hashlib.sha1).digest()
    assert verify(_req(URL, body, base64.b64encode(digest).decode()), CONFIG)


def test_tampered_param_url_or_wrong_token() -> None:
    signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert _reason(_req(URL, FORM.replace(b"1234", b"9999"), signature)) == "signature mismatch"
    assert _reason(_req(URL + "&baz=3", FORM, signature)) == "signature mismatch"
    assert _reason(_req(URL, FORM + b"&Extra=1", signature)) == "signature mismatch"
    other = SignatureConfig(scheme="twilio", secret="54321")
    with pytest.raises(SignatureRejected, match="signature mismatch"):
        verify(_req(URL, FORM, signature), other)


def test_tampered_json_body_fails_the_body_hash() -> None:
    request = _req(JSON_URL, JSON_BODY.replace(b"value", b"evil!"), "a9nBmqA0ju/hNViExpshrM61xv4=")
    assert _reason(request) == "body hash mismatch (bodySHA256)"


def test_missing_header() -> None:
    assert _reason(_req(URL, FORM, None)) == "missing header X-Twilio-Signature"


@pytest.mark.parametrize("signature", ["not base64!", "c2hvcnQ=", "RSOYDt4T1cUTdK1PDd93/VVr8B8"])
def test_malformed_header(signature: str) -> None:
    assert _reason(_req(URL, FORM, signature)) == "malformed header X-Twilio-Signature"


def test_malformed_body_hash() -> None:
    url = URL + "&bodySHA256=xyz"
    digest = hmac.new(b"12345", url.encode(), hashlib.sha1).digest()
    request = _req(url, JSON_BODY, base64.b64encode(digest).decode())
    assert _reason(request) == "malformed query parameter bodySHA256"
