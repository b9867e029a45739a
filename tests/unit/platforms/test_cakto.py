"""Cakto (platforms/cakto.py) end to end on its documented delivery: the secret in the body
is what the gateway checks and what history masks; the lead maps and is recognised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.redact import MASK, mask_data, mask_text
from hookline.discovery import detect_platform
from ingest.signing import signature_config
from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from platforms import get_preset
from schemas.config import Integration, UrlToken
from schemas.signature import SignatureConfig
from streams.mapping import apply_mapping

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "platforms"
RECORD = json.loads((FIXTURE / "cakto__purchase_approved.json").read_text(encoding="utf-8"))
BODY = RECORD["body"]
SECRET = BODY["secret"]


def _request(body: dict[str, object]) -> UnverifiedRequest:
    return UnverifiedRequest(
        method="POST",
        url="https://hooks.example/hooks/tok",
        headers=RECORD["headers"],
        body=json.dumps(body).encode(),
        received_at=0,
    )


def _config(secret: str = SECRET) -> SignatureConfig | None:
    integration = Integration(
        id="int_1", account_id="acc_1", name="Cakto", platform="cakto",
        tokens=[UrlToken(hash="h")], secret=secret,
    )  # fmt: skip
    return signature_config(integration)


def test_the_body_secret_is_checked_by_the_field_token_scheme() -> None:
    config = _config()
    assert config is not None and config.scheme == "field_token"
    assert verify(_request(BODY), config).scheme == "field_token"
    for body, reason in [
        ({**BODY, "secret": "another-webhooks-secret"}, "token mismatch"),
        ({key: value for key, value in BODY.items() if key != "secret"}, "missing body field"),
    ]:
        with pytest.raises(SignatureRejected, match=reason):
            verify(_request(body), config)


def test_the_secret_is_masked_where_bodies_are_kept() -> None:
    assert mask_data(BODY)["secret"] == MASK
    assert SECRET not in mask_text(json.dumps(BODY))


def test_the_lead_maps_and_the_phone_is_e164() -> None:
    lead = apply_mapping(get_preset("cakto").mapping, BODY, RECORD["headers"])
    assert lead.ok, lead.errors
    assert (lead.event, lead.name, lead.phone) == (
        "purchase_approved",
        "Tulio sabino",
        "+5534991462388",
    )
    assert lead.fields["product"] == "Subscription [Stg]" and lead.fields["value"] == 5


def test_recognised_by_its_user_agent_or_by_its_envelope() -> None:
    assert detect_platform(BODY, RECORD["headers"])[0][:2] == ("cakto", 0.99)
    assert detect_platform(BODY, {})[0][0] == "cakto"
