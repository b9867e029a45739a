"""Static-token schemes: hotmart, asaas, ticto, header_token, field_token and Eduzz legacy."""

from __future__ import annotations

import json

import pytest

import platforms
from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from ingest.verify.field_token import FieldTokenVerifier
from platforms import Platform, get_platform, get_preset, register, scheme_fields
from schemas.signature import SignatureConfig

TOKEN = "tok-3f9a"


def _req(body: bytes = b"", headers: dict[str, str] | None = None) -> UnverifiedRequest:
    url = "https://hooks.example/in/tok"
    return UnverifiedRequest(
        method="POST", url=url, headers=headers or {}, body=body, received_at=0
    )


def _rejected(request: UnverifiedRequest, scheme: str, **options: str) -> str:
    config = SignatureConfig(scheme=scheme, secret=TOKEN, **options)  # type: ignore[arg-type]
    with pytest.raises(SignatureRejected) as info:
        verify(request, config)
    assert TOKEN not in str(info.value)
    return info.value.reason


def _accepted(request: UnverifiedRequest, scheme: str, **options: str) -> None:
    config = SignatureConfig(scheme=scheme, secret=TOKEN, **options)  # type: ignore[arg-type]
    assert verify(request, config).scheme == scheme


def _json(**fields: object) -> bytes:
    return json.dumps({"event": "PURCHASE_APPROVED", **fields}).encode()


# Header schemes ----------------------------------------------------------------

HEADER_SCHEMES = [("hotmart", "X-HOTMART-HOTTOK"), ("asaas", "asaas-access-token")]


@pytest.mark.parametrize(("scheme", "header"), HEADER_SCHEMES)
def test_header_token_good(scheme: str, header: str) -> None:
    _accepted(_req(_json(), {header.upper(): f" {TOKEN} "}), scheme)


@pytest.mark.parametrize(("scheme", "header"), HEADER_SCHEMES)
def test_header_token_wrong(scheme: str, header: str) -> None:
    assert _rejected(_req(_json(), {header: TOKEN[:-1]}), scheme) == "token mismatch"
    assert _rejected(_req(_json(), {header: TOKEN + TOKEN}), scheme) == "token mismatch"


@pytest.mark.parametrize(("scheme", "header"), HEADER_SCHEMES)
def test_header_token_missing_or_blank(scheme: str, header: str) -> None:
    assert _rejected(_req(_json()), scheme).startswith(f"missing header {header}")
    assert _rejected(_req(_json(), {header: "  "}), scheme).startswith(f"missing header {header}")


def test_asaas_header_can_be_renamed() -> None:
    _accepted(_req(headers={"X-Asaas": TOKEN}), "asaas", header="X-Asaas")
    assert _rejected(_req(headers={"asaas-access-token": TOKEN}), "asaas", header="X-Asaas") == (
        "missing header X-Asaas"
    )


# Hotmart body fallback --------------------------------------------------------


def test_hotmart_falls_back_to_body_hottok() -> None:
    _accepted(_req(_json(hottok=TOKEN)), "hotmart")
    _accepted(_req(f"hottok={TOKEN}&status=approved".encode()), "hotmart")  # v1 form postback
    assert _rejected(_req(_json(hottok="other")), "hotmart") == "token mismatch"


def test_hotmart_header_wins_over_body() -> None:
    request = _req(_json(hottok=TOKEN), {"X-HOTMART-HOTTOK": "other"})
    assert _rejected(request, "hotmart") == "token mismatch"


@pytest.mark.parametrize("body", [b"", _json(), b'{"hottok": ', _json(data={"hottok": TOKEN})])
def test_hotmart_missing_everywhere(body: bytes) -> None:
    reason = _rejected(_req(body), "hotmart")
    assert reason == "missing header X-HOTMART-HOTTOK or body field hottok"


# Ticto -------------------------------------------------------------------------


def test_ticto_body_token() -> None:
    _accepted(_req(_json(token=TOKEN)), "ticto")
    _accepted(_req(f"status=paid&token={TOKEN}".encode()), "ticto")
    assert _rejected(_req(_json(token="other")), "ticto") == "token mismatch"


@pytest.mark.parametrize("body", [b"", _json(), b"{not json", b"[]"])
def test_ticto_missing_or_unparsable(body: bytes) -> None:
    headers = {"token": TOKEN}  # a header does not count: Ticto sends it in the body
    assert _rejected(_req(body, headers), "ticto") == "missing body field token"


# Generic header_token ----------------------------------------------------------


def test_header_token_default_header() -> None:
    _accepted(_req(headers={"x-webhook-token": TOKEN}), "header_token")
    assert _rejected(_req(headers={"x-webhook-token": "x"}), "header_token") == "token mismatch"
    assert _rejected(_req(), "header_token") == "missing header X-Webhook-Token"


def test_header_token_bearer_prefix() -> None:
    options = {"header": "Authorization", "prefix": "Bearer "}
    _accepted(_req(headers={"authorization": f"Bearer {TOKEN}"}), "header_token", **options)
    reason = _rejected(_req(headers={"authorization": TOKEN}), "header_token", **options)
    assert reason == "malformed header Authorization: expected prefix 'Bearer '"


# Eduzz legacy (body token; the x-signature HMAC is tested with the HMAC schemes) ---


@pytest.mark.parametrize("field", ["origin_secret", "origin", "api_key"])
def test_eduzz_legacy_body_fields(field: str) -> None:
    _accepted(_req(_json(**{field: TOKEN})), "eduzz")
    _accepted(_req(f"{field}={TOKEN}&trans_cod=1".encode()), "eduzz")
    assert _rejected(_req(_json(**{field: "other"})), "eduzz") == "token mismatch"


def test_eduzz_legacy_any_present_field_may_match() -> None:
    _accepted(_req(_json(api_key="public-key", origin=TOKEN)), "eduzz")


def test_eduzz_legacy_missing() -> None:
    reason = _rejected(_req(b"trans_cod=1"), "eduzz")
    assert reason == (
        "missing header x-signature or body field origin_secret or body field origin"
        " or body field api_key"
    )


# Generic field_token: the fields come from the platforms bound to it --------------


def test_token_schemes_read_the_fields_their_platforms_declare() -> None:
    assert scheme_fields("hotmart") == get_platform("hotmart").credential_fields == ("hottok",)
    assert scheme_fields("ticto") == ("token",)
    assert scheme_fields("asaas") == scheme_fields("header_token") == ()


def test_field_token_reads_a_field_a_bound_platform_declares(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(platforms, "_REGISTRY", dict(platforms._REGISTRY))
    preset = get_preset("tray").model_copy(update={"id": "fake", "signature_scheme": "field_token"})
    register(Platform(preset=preset, credential_fields=("chave",)))
    verifier = FieldTokenVerifier()  # fields are read from the registry when built
    assert verifier.fields == scheme_fields("field_token") and "chave" in verifier.fields
    config = SignatureConfig(scheme="field_token", secret=TOKEN)
    verifier.verify(_req(_json(chave=TOKEN)), config)
    verifier.verify(_req(f"chave={TOKEN}".encode()), config)
    for body, reason in [(_json(chave="x"), "token mismatch"), (_json(other=TOKEN), "missing")]:
        with pytest.raises(SignatureRejected, match=reason):
            verifier.verify(_req(body), config)


def test_field_token_without_a_declared_field_refuses_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(platforms, "_REGISTRY", {})
    verifier = FieldTokenVerifier()
    assert verifier.fields == ()
    config = SignatureConfig(scheme="field_token", secret=TOKEN)
    with pytest.raises(SignatureRejected, match="no header or body field is declared"):
        verifier.verify(_req(_json(secret=TOKEN)), config)
