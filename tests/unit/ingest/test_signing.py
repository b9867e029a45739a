"""Which verifier an integration gets, and with what (ingest/signing.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.signing import (
    check_options,
    platform_scheme,
    scheme_of,
    signature_config,
    signature_headers,
    unverified_request,
)
from ingest.verify import scheme_names
from platforms import all_platforms
from schemas.config import Integration, UrlToken
from schemas.signature import SignatureOptions


def _integration(platform: str = "generic", **fields) -> Integration:
    return Integration(
        id="int_1", account_id="acc_1", name="x", platform=platform,
        tokens=[UrlToken(hash="h")], **fields,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "scheme"),
    [
        ("generic", "hmac"),
        ("stripe", "stripe"),
        ("hotmart", "hotmart"),
        ("vtex", "header_token"),  # the preset's choice: VTEX sends headers you pick
        ("activecampaign", "header_token"),  # signs nothing: a token header of your choice
        ("tray", "header_token"),
        ("something-new", "hmac"),  # unknown platforms are generic
    ],
)
def test_platform_schemes(platform: str, scheme: str) -> None:
    assert platform_scheme(platform) == scheme


def test_every_platform_gets_its_units_registered_scheme() -> None:
    for platform in all_platforms():
        assert platform_scheme(platform.id) == platform.scheme, platform.id
        assert platform.scheme in scheme_names(), platform.id


def test_no_secret_no_check_and_the_override_wins() -> None:
    assert signature_config(_integration("stripe")) is None
    config = signature_config(_integration("stripe", secret="whsec_x"))
    assert config is not None and config.scheme == "stripe"
    assert config.secret.get_secret_value() == "whsec_x"

    custom = _integration(
        "activecampaign",
        secret="s3cret",
        signature=SignatureOptions(
            scheme="hmac", header="X-Hub-Signature-256", prefix="sha256=", algorithm="sha256"
        ),
    )
    assert scheme_of(custom) == "hmac"
    config = signature_config(custom)
    assert (config.scheme, config.header) == ("hmac", "X-Hub-Signature-256")
    assert config.prefix == "sha256="
    assert signature_headers(custom) == ("X-Hub-Signature-256",)
    assert signature_headers(_integration()) == ()


def test_options_must_fit_the_scheme_with_or_without_a_secret() -> None:
    ok = _integration("stripe", signature=SignatureOptions(tolerance_seconds=600))
    check_options(ok)
    wrong = _integration("stripe", signature=SignatureOptions(algorithm="sha1"))
    with pytest.raises(ValidationError, match="scheme 'stripe' does not use: algorithm"):
        check_options(wrong)
    # The scheme name is checked where it is used, not by the model (schemas/ is a leaf).
    unknown = _integration("stripe", signature=SignatureOptions(scheme="nope"))
    with pytest.raises(ValidationError, match="unknown signature scheme 'nope', expected one of"):
        check_options(unknown)


def test_the_verifier_sees_the_public_url() -> None:
    request = unverified_request(
        public_url="https://hooks.example.com/",
        raw_path="/hooks/tok?b=2&a=1&a=3",
        method="post",
        headers={"X-A": "1"},
        query={"b": ["2"], "a": ["1", "3"]},
        body=b"{}",
        received_at=1.0,
    )
    assert request.url == "https://hooks.example.com/hooks/tok?b=2&a=1&a=3"
    assert request.query == {"b": ["2"], "a": ["1", "3"]}
    assert request.method == "POST" and request.headers["x-a"] == "1"
