"""Body-HMAC schemes (shopify, woocommerce, yampi, nuvemshop, eduzz, hmac) and kiwify."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from schemas.signature import SignatureConfig

SECRET = "hmac-secret-81c2"
# Shopify escapes "/" as "\/": only the raw bytes verify, never a re-serialisation.
BODY = b'{"id":1,"note":"a\\/b"}'


def _req(body: bytes = BODY, headers: dict[str, str] | None = None, url: str = "https://h/in"):
    return UnverifiedRequest(
        method="POST", url=url, headers=headers or {}, body=body, received_at=0
    )


def _sign(secret: str, body: bytes, algorithm: str = "sha256", encoding: str = "hex") -> str:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


def _reason(request: UnverifiedRequest, config: SignatureConfig) -> str:
    with pytest.raises(SignatureRejected) as info:
        verify(request, config)
    assert config.secret.get_secret_value() not in str(info.value)
    return info.value.reason


HEADER_SCHEMES = [
    ("shopify", "X-Shopify-Hmac-Sha256", "base64"),
    ("woocommerce", "X-WC-Webhook-Signature", "base64"),
    ("yampi", "X-Yampi-Hmac-SHA256", "base64"),
    ("nuvemshop", "X-Linkedstore-HMAC-SHA256", "hex"),
    ("eduzz", "x-signature", "hex"),
    ("hmac", "X-Webhook-Signature", "hex"),
]
parametrized = pytest.mark.parametrize(("scheme", "header", "encoding"), HEADER_SCHEMES)


@parametrized
def test_good(scheme: str, header: str, encoding: str) -> None:
    request = _req(headers={header.lower(): _sign(SECRET, BODY, encoding=encoding)})
    assert verify(request, SignatureConfig(scheme=scheme, secret=SECRET)).scheme == scheme


@parametrized
def test_tampered_body(scheme: str, header: str, encoding: str) -> None:
    request = _req(BODY.replace(b"1", b"2"), {header: _sign(SECRET, BODY, encoding=encoding)})
    assert _reason(request, SignatureConfig(scheme=scheme, secret=SECRET)) == "signature mismatch"


@parametrized
def test_wrong_secret(scheme: str, header: str, encoding: str) -> None:
    request = _req(headers={header: _sign("other", BODY, encoding=encoding)})
    assert _reason(request, SignatureConfig(scheme=scheme, secret=SECRET)) == "signature mismatch"


@parametrized
def test_missing_header(scheme: str, header: str, encoding: str) -> None:
    reason = _reason(_req(headers={"X-Other": "1"}), SignatureConfig(scheme=scheme, secret=SECRET))
    assert reason.startswith(f"missing header {header}")


@parametrized
@pytest.mark.parametrize("value", ["not a digest!", "abc", "c2hvcnQ=", "zz" * 32])
def test_malformed_header(scheme: str, header: str, encoding: str, value: str) -> None:
    reason = _reason(_req(headers={header: value}), SignatureConfig(scheme=scheme, secret=SECRET))
    assert reason == f"malformed header {header}"


# Literal values computed once with openssl, e.g.
#   printf '%s' '{"id":1,"note":"a\/b"}' | openssl dgst -sha256 -hmac shpss_secret -binary | base64
def test_shopify_openssl_vector() -> None:
    request = _req(
        headers={"X-Shopify-Hmac-Sha256": "Q/4oFeZoTRy1dyFTAplAHFWIVyUBsFNSLFHPyuyEhbs="}
    )
    assert verify(request, SignatureConfig(scheme="shopify", secret="shpss_secret"))


def test_nuvemshop_openssl_vector_any_hex_case() -> None:
    # printf '%s' BODY | openssl dgst -sha256 -hmac ns_app_secret -hex
    digest = "ee40a7923ff1915ecb1f829787c2a5b86a5707e5088d5be60505a75fbaafea5b"
    config = SignatureConfig(scheme="nuvemshop", secret="ns_app_secret")
    for value in (digest, digest.upper()):
        assert verify(_req(headers={"X-Linkedstore-HMAC-SHA256": value}), config)


def test_header_name_can_be_overridden() -> None:
    config = SignatureConfig(scheme="nuvemshop", secret=SECRET, header="HTTP_X_LINKEDSTORE")
    assert verify(_req(headers={"http_x_linkedstore": _sign(SECRET, BODY)}), config)


# Eduzz: the x-signature header wins over the legacy body token ---------------------


def test_eduzz_header_wins_over_body_token() -> None:
    body = b'{"origin_secret": "%s"}' % SECRET.encode()
    request = _req(body, {"x-signature": _sign("other", body)})
    assert _reason(request, SignatureConfig(scheme="eduzz", secret=SECRET)) == "signature mismatch"


def test_eduzz_signs_bodies_that_are_not_valid_json() -> None:
    # Eduzz's own documented samples are not valid JSON; the HMAC only sees bytes.
    body = b'{"id": "g90", "producer": {"id": "123456" "name": "F"},}'
    request = _req(body, {"x-signature": _sign(SECRET, body)})
    assert verify(request, SignatureConfig(scheme="eduzz", secret=SECRET)).scheme == "eduzz"


# Generic hmac: algorithm, encoding, prefix -----------------------------------------


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_generic_hmac_algorithms_and_encodings(algorithm: str, encoding: str) -> None:
    config = SignatureConfig(scheme="hmac", secret=SECRET, algorithm=algorithm, encoding=encoding)  # type: ignore[arg-type]
    good = _sign(SECRET, BODY, algorithm, encoding)
    assert verify(_req(headers={"X-Webhook-Signature": good}), config)
    other = "sha1" if algorithm != "sha1" else "sha256"
    wrong_algorithm = _sign(SECRET, BODY, other, encoding)
    reason = _reason(_req(headers={"X-Webhook-Signature": wrong_algorithm}), config)
    assert reason == "malformed header X-Webhook-Signature"  # wrong digest size


def test_generic_hmac_prefix() -> None:
    config = SignatureConfig(
        scheme="hmac", secret=SECRET, header="X-Hub-Signature-256", prefix="sha256="
    )
    signature = _sign(SECRET, BODY)
    assert verify(_req(headers={"X-Hub-Signature-256": f"sha256={signature}"}), config)
    reason = _reason(_req(headers={"X-Hub-Signature-256": signature}), config)
    assert reason == "malformed header X-Hub-Signature-256: expected prefix 'sha256='"


# Kiwify: ?signature=<hex HMAC-SHA1> -------------------------------------------------

KIWIFY = SignatureConfig(scheme="kiwify", secret=SECRET)


def test_kiwify_good() -> None:
    url = f"https://h/in/tok?signature={_sign(SECRET, BODY, 'sha1')}"
    assert verify(_req(url=url), KIWIFY).scheme == "kiwify"


def test_kiwify_openssl_vector() -> None:
    # printf '%s' '{"id":1,"note":"a\/b"}' | openssl dgst -sha1 -hmac kiwi_token -hex
    url = "https://h/in?a=1&signature=92929b986986c2efc8d4cb08f4e142f3e714bf1c"
    assert verify(_req(url=url), SignatureConfig(scheme="kiwify", secret="kiwi_token"))


def test_kiwify_bad() -> None:
    url = f"https://h/in?signature={_sign(SECRET, BODY, 'sha1')}"
    assert _reason(_req(BODY + b" ", url=url), KIWIFY) == "signature mismatch"
    url = f"https://h/in?signature={_sign('other', BODY, 'sha1')}"
    assert _reason(_req(url=url), KIWIFY) == "signature mismatch"


@pytest.mark.parametrize("url", ["https://h/in", "https://h/in?signature=", "https://h/in?sig=a"])
def test_kiwify_missing(url: str) -> None:
    headers = {"signature": _sign(SECRET, BODY, "sha1")}  # a header does not count
    assert _reason(_req(headers=headers, url=url), KIWIFY) == "missing query parameter signature"


@pytest.mark.parametrize("value", ["xyz", "ab" * 32, _sign(SECRET, BODY, "sha1", "base64")])
def test_kiwify_malformed(value: str) -> None:
    reason = _reason(_req(url=f"https://h/in?signature={value}"), KIWIFY)
    assert reason == "malformed query parameter signature"
