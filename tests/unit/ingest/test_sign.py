"""ingest/sign.py is the inverse of ingest/verify: a request it signs for a platform's
scheme passes that platform's verifier, for every platform with a payload (fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sign import Outgoing, UnsignableError, sign
from ingest.signing import signature_config
from ingest.verify import SignatureRejected, UnverifiedRequest, verify
from platforms import all_platforms
from schemas.config import Integration, UrlToken

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "platforms"
SECRET = "s3cret-for-a-test-delivery"
NOW = 1_760_000_000
URL = "https://hooks.example/hooks/tok?data.id=1234567890&type=payment"


def _payload(platform: str) -> tuple[bytes, str, dict[str, str]]:
    path = next(iter(sorted(FIXTURES.glob(f"{platform}__*.json"))), None)
    if path is None:
        return b'{"event": "test"}', "application/json", {}
    record = json.loads(path.read_text(encoding="utf-8"))
    body = record["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return raw, record["content_type"], {}


@pytest.mark.parametrize("platform", all_platforms(), ids=lambda p: p.id)
def test_a_signed_test_delivery_passes_the_platforms_verifier(platform) -> None:
    integration = Integration(
        id="int_1", account_id="acc_1", name="t", platform=platform.id,
        tokens=[UrlToken(hash="h")], secret=SECRET,
    )  # fmt: skip
    config = signature_config(integration)
    assert config is not None
    body, content_type, headers = _payload(platform.id)
    try:
        out = sign(
            config.scheme, SECRET, Outgoing(URL, body, headers), content_type=content_type, now=NOW
        )
    except UnsignableError:
        assert platform.id == "twilio"  # signs the URL with the account's auth token
        return
    request = UnverifiedRequest(
        method="POST", url=out.url, headers={"content-type": content_type, **out.headers},
        body=out.body, received_at=NOW,
    )  # fmt: skip
    verify(request, config)  # does not raise
    wrong = sign(
        config.scheme,
        "another-secret",
        Outgoing(URL, body, headers),
        content_type=content_type,
        now=NOW,
    )
    with pytest.raises(SignatureRejected):
        verify(
            UnverifiedRequest(
                method="POST", url=wrong.url, body=wrong.body, received_at=NOW,
                headers={"content-type": content_type, **wrong.headers},
            ),
            config,
        )  # fmt: skip
