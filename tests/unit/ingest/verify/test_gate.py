"""The gate, the registry, the request types and the configs the registry accepts."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from ingest.verify import (
    NO_SCHEME,
    Headers,
    SchemeOptionsError,
    SignatureRejected,
    UnknownSchemeError,
    UnverifiedRequest,
    VerifiedRequest,
    checked_config,
    credential_headers,
    credential_query,
    get_verifier,
    register,
    registry,
    scheme_names,
    verify,
)
from ingest.verify.checks import body_fields
from schemas.signature import SignatureConfig

SECRET = "s3cr3t-never-shown"
ALL_SCHEMES = [
    "asaas", "calendly", "eduzz", "field_token", "header_token", "hmac", "hotmart",
    "hub_signature", "kiwify", "mercadopago", "nuvemshop", "shopify", "stripe", "ticto",
    "twilio", "typeform", "woocommerce", "yampi",
]  # fmt: skip
NOTHING = {"options": frozenset(), "credential_headers": (), "credential_query": ()}


def _req(body: bytes = b"", headers: dict[str, str] | None = None) -> UnverifiedRequest:
    url = "https://hooks.example/in/tok?a=1&a=2&b="
    return UnverifiedRequest(
        method="post", url=url, headers=headers or {}, body=body, received_at=0
    )


def test_every_scheme_is_registered_under_its_fixed_name() -> None:
    assert scheme_names() == ALL_SCHEMES
    assert all(get_verifier(name).name == name for name in ALL_SCHEMES)


def test_verifiers_declare_where_they_read_credentials() -> None:
    assert {"x-hotmart-hottok", "stripe-signature", "x-webhook-token"} <= credential_headers()
    assert "x-eduzzapi" not in credential_headers()  # no scheme reads it: a platform's own
    assert credential_query() == {"signature"}  # Kiwify
    with pytest.raises(TypeError, match="'forgetful' must declare credential_headers"):
        register("forgetful")(type("Forgetful", (), {"options": frozenset()}))
    assert "forgetful" not in scheme_names()


@pytest.mark.parametrize("name", ["stripe", NO_SCHEME])
def test_duplicate_or_reserved_registration_raises(name: str) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(name)(type("Dummy", (), NOTHING))
    assert scheme_names() == ALL_SCHEMES


def test_register_instantiates_and_names_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_VERIFIERS", dict(registry._VERIFIERS))

    @register("always_reject")
    class Rejecting:
        options = frozenset()
        credential_headers = ()
        credential_query = ()

        def verify(self, request: UnverifiedRequest, config: SignatureConfig) -> None:
            raise SignatureRejected(f"nope, the secret is {SECRET}")

    assert Rejecting.name == "always_reject"
    assert isinstance(get_verifier("always_reject"), Rejecting)
    # The gate redacts a reason that would leak the secret, whatever the verifier did.
    with pytest.raises(SignatureRejected) as info:
        verify(_req(), SignatureConfig(scheme="always_reject", secret=SECRET))
    assert info.value.reason == "signature rejected"
    assert info.value.scheme == "always_reject"


def test_unknown_scheme_lists_the_valid_names() -> None:
    expected = "unknown signature scheme 'nope', expected one of: " + ", ".join(ALL_SCHEMES)
    with pytest.raises(UnknownSchemeError) as info:
        get_verifier("nope")
    assert str(info.value) == expected
    with pytest.raises(ValidationError, match="expected one of: asaas, calendly"):
        checked_config({"scheme": "nope", "secret": SECRET})
    with pytest.raises(ValidationError, match="expected one of"):
        checked_config({"scheme": NO_SCHEME, "secret": SECRET})
    # The gate refuses such a config too, however it was built.
    with pytest.raises(UnknownSchemeError):
        verify(_req(), SignatureConfig(scheme="nope", secret=SECRET))


def test_none_config_passes_through_as_scheme_none() -> None:
    request = _req(b"anything")
    verified = verify(request, None)
    assert isinstance(verified, VerifiedRequest)
    assert verified.scheme == NO_SCHEME
    assert verified.request is request


def test_accepted_request_carries_its_scheme() -> None:
    config = SignatureConfig(scheme="asaas", secret=SECRET)
    verified = verify(_req(headers={"Asaas-Access-Token": SECRET}), config)
    assert verified.scheme == "asaas"


def test_verified_request_is_only_built_by_the_gate_and_is_immutable() -> None:
    with pytest.raises(TypeError, match="only built by"):
        VerifiedRequest(_req(), "stripe")
    verified = verify(_req(), None)
    with pytest.raises(AttributeError):
        verified.scheme = "stripe"  # type: ignore[misc]


def test_rejection_names_the_scheme_and_never_the_secret() -> None:
    config = SignatureConfig(scheme="header_token", secret=SECRET)
    with pytest.raises(SignatureRejected) as info:
        verify(_req(headers={"X-Webhook-Token": SECRET + "x"}), config)
    assert info.value.reason == "token mismatch"
    assert info.value.scheme == "header_token"
    for text in (str(info.value), repr(info.value), repr(config), str(config)):
        assert SECRET not in text
    assert SECRET not in config.model_dump_json()
    assert config.secret.get_secret_value() == SECRET


def test_config_errors_never_print_the_secret() -> None:
    with pytest.raises(ValidationError) as info:
        checked_config({"scheme": "stripe", "secret": SECRET, "algorithm": "sha1"})
    assert "does not use: algorithm" in str(info.value)
    assert SECRET not in str(info.value)
    config = SignatureConfig(scheme="stripe", secret=SECRET, algorithm="sha1")  # shape only
    with pytest.raises(SchemeOptionsError, match="scheme 'stripe' does not use: algorithm"):
        verify(_req(), config)


@pytest.mark.parametrize(
    "fields",
    [
        {"scheme": "stripe", "secret": ""},
        {"scheme": "stripe", "secret": SECRET, "colour": "red"},
        {"scheme": "shopify", "secret": SECRET, "encoding": "hex"},
        {"scheme": "hmac", "secret": SECRET, "tolerance_seconds": 10},
        {"scheme": "ticto", "secret": SECRET, "header": "X-Token"},
        {"scheme": "hmac", "secret": SECRET, "algorithm": "md5"},
        {"scheme": "hmac", "secret": SECRET, "header": "Bad Header"},
        {"scheme": "stripe", "secret": SECRET, "tolerance_seconds": 0},
    ],
)
def test_invalid_configs_fail_at_load(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        checked_config(fields)


def test_config_accepts_the_options_its_scheme_reads() -> None:
    config = checked_config(
        {"scheme": "hmac", "secret": SECRET, "header": "X-Hub-Signature-256",
         "algorithm": "sha512", "encoding": "base64", "prefix": "sha256="}
    )  # fmt: skip
    assert isinstance(config, SignatureConfig) and config.algorithm == "sha512"
    assert checked_config({"scheme": "calendly", "secret": SECRET, "tolerance_seconds": 60})


def test_request_headers_are_case_insensitive_and_repr_hides_values() -> None:
    request = _req(b'{"token": "abc"}', {"X-HOTMART-HOTTOK": SECRET, "Content-Type": "a/b"})
    assert request.method == "POST"
    assert request.headers["x-hotmart-hottok"] == SECRET
    assert request.headers.get("CONTENT-TYPE") == "a/b"
    assert "X-Hotmart-Hottok" in request.headers
    assert sorted(request.headers) == ["content-type", "x-hotmart-hottok"]
    assert SECRET not in repr(request) and "abc" not in repr(request)
    assert "x-hotmart-hottok" in repr(request)


def test_request_query_defaults_to_the_url_query() -> None:
    assert _req().query == {"a": ["1", "2"], "b": [""]}
    explicit = UnverifiedRequest(
        method="POST", url="https://h/x", headers={}, body=b"", received_at=0,
        query={"signature": ["ab"]},
    )  # fmt: skip
    assert explicit.query == {"signature": ["ab"]}
    # Given empty (the gateway's request had none), it stays empty: the URL is not read.
    given_none = UnverifiedRequest(
        method="POST", url="https://h/x?a=1", headers={}, body=b"", received_at=0, query={}
    )
    assert given_none.query == {}


def test_headers_read_case_blind_whichever_way_they_are_read() -> None:
    headers = Headers({"X-Hotmart-Hottok": "abc", "Content-Type": "application/json"})
    assert headers["x-hotmart-HOTTOK"] == "abc" and headers.get("X-HOTMART-HOTTOK") == "abc"
    assert headers.get("x-missing") is None and headers.get("x-missing", "d") == "d"
    assert "X-Hotmart-Hottok" in headers and "x-missing" not in headers and 1 not in headers
    assert dict(headers.items()) == {
        "x-hotmart-hottok": "abc",
        "content-type": "application/json",
    }


@pytest.mark.parametrize(
    "body", [b"{", b'{"token": ', b"{" * 100_000, b'{"token": "\xff"}', b" [1, 2]", b"{}"]
)
def test_bad_or_non_object_json_yields_no_fields(body: bytes) -> None:
    assert body_fields(_req(body)) == {}


def test_undecodable_form_bodies_do_not_raise() -> None:
    assert body_fields(_req(b"\xff\xfe=1&token=\xff")) == {"\ufffd\ufffd": "1", "token": "\ufffd"}


def test_body_fields_reads_json_objects_and_forms() -> None:
    payload = {"token": "t", "n": 7, "flag": True, "obj": {"token": "inner"}}
    assert body_fields(_req(json.dumps(payload).encode())) == {"token": "t", "n": "7"}
    assert body_fields(_req(b"token=a&token=b&x=&y=%2B1")) == {"token": "a", "x": "", "y": "+1"}
