"""Every verifier end to end through HTTP: good, wrong, missing (and stale where the
scheme has timestamps), with the official Stripe and Twilio vectors; a 401 writes
nothing to ``hookline.webhooks`` and leaves a rejected-request record without the
secret. Signatures here are computed by code written for the tests from the
platforms' documentation, not by ``ingest.verify``."""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from prometheus_client import REGISTRY

from tests.integration.gateway.gateway_env import GatewayEnv, Hook, open_gateway
from tests.samples import require_samples_dir

pytestmark = [pytest.mark.kafka]

SECRET = "s3cr3t-for-the-gateway-tests"
ORDER = {"id": 4711, "event": "order.paid", "billing": {"phone": "+5511999999999"}}
BODY = json.dumps(ORDER, separators=(",", ":")).replace("/", "\\/").encode()


def _mac(algorithm: str, message: bytes, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), message, algorithm).digest()


def hex_mac(algorithm: str, message: bytes, secret: str = SECRET) -> str:
    return _mac(algorithm, message, secret).hex()


def b64_mac(algorithm: str, message: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(_mac(algorithm, message, secret)).decode()


def twilio_signature(token: str, url: str, body: bytes) -> str:
    """Twilio's documented construction: URL, then each POST param name+value, sorted."""
    params = sorted(parse_qsl(body.decode(), keep_blank_values=True))
    data = url + "".join(name + value for name, value in params)
    return b64_mac("sha1", data.encode(), token)


def now() -> int:
    return int(time.time())


def timestamped(t: int, body: bytes, secret: str = SECRET) -> str:
    return f"t={t},v1={hex_mac('sha256', f'{t}.'.encode() + body, secret)}"


#: (headers, query params) for a body, the secret and the URL it is sent to.
Signer = Callable[[bytes, str, str], tuple[dict[str, str], dict[str, str]]]


@dataclass(frozen=True)
class Scheme:
    platform: str
    sign: Signer
    #: What a request without the credential is refused with.
    missing: str
    #: What a request with the wrong secret is refused with.
    wrong: str = "signature mismatch"
    body: bytes = BODY
    content_type: str = "application/json"


def _header(name: str, value: Callable[[bytes, str], str]) -> Signer:
    return lambda body, secret, url: ({name: value(body, secret)}, {})


SCHEMES = {
    "hotmart": Scheme(
        "hotmart",
        _header("X-HOTMART-HOTTOK", lambda body, secret: secret),
        "missing header X-HOTMART-HOTTOK or body field hottok",
        "token mismatch",
    ),
    "eduzz": Scheme(
        "eduzz",
        _header("x-signature", lambda body, secret: hex_mac("sha256", body, secret)),
        "missing header x-signature or body field origin_secret or body field origin"
        " or body field api_key",
    ),
    "kiwify": Scheme(
        "kiwify",
        lambda body, secret, url: ({}, {"signature": hex_mac("sha1", body, secret)}),
        "missing query parameter signature",
    ),
    "shopify": Scheme(
        "shopify",
        _header("X-Shopify-Hmac-Sha256", lambda body, secret: b64_mac("sha256", body, secret)),
        "missing header X-Shopify-Hmac-Sha256",
    ),
    "woocommerce": Scheme(
        "woocommerce",
        _header("X-WC-Webhook-Signature", lambda body, secret: b64_mac("sha256", body, secret)),
        "missing header X-WC-Webhook-Signature",
    ),
    "yampi": Scheme(
        "yampi",
        _header("X-Yampi-Hmac-SHA256", lambda body, secret: b64_mac("sha256", body, secret)),
        "missing header X-Yampi-Hmac-SHA256",
    ),
    "nuvemshop": Scheme(
        "nuvemshop",
        _header("X-Linkedstore-HMAC-SHA256", lambda body, secret: hex_mac("sha256", body, secret)),
        "missing header X-Linkedstore-HMAC-SHA256",
    ),
    "stripe": Scheme(
        "stripe",
        _header("Stripe-Signature", lambda body, secret: timestamped(now(), body, secret)),
        "missing header Stripe-Signature",
    ),
    "calendly": Scheme(
        "calendly",
        _header(
            "Calendly-Webhook-Signature",
            lambda body, secret: timestamped(now(), body, secret),
        ),
        "missing header Calendly-Webhook-Signature",
    ),
    "twilio": Scheme(
        "twilio",
        lambda body, secret, url: ({"X-Twilio-Signature": twilio_signature(secret, url, body)}, {}),
        "missing header X-Twilio-Signature",
        body=b"SmsSid=SM1&From=%2B5511999999999&Body=Oi",
        content_type="application/x-www-form-urlencoded",
    ),
    "asaas": Scheme(
        "asaas",
        _header("asaas-access-token", lambda body, secret: secret),
        "missing header asaas-access-token",
        "token mismatch",
    ),
    "ticto": Scheme(
        "ticto",
        lambda body, secret, url: ({}, {}),  # the token travels in the body: see _body_for
        "missing body field token",
        "token mismatch",
    ),
    "hmac": Scheme(
        "generic",
        _header("X-Webhook-Signature", lambda body, secret: hex_mac("sha256", body, secret)),
        "missing header X-Webhook-Signature",
    ),
    "header_token": Scheme(
        "vtex",
        _header("X-Webhook-Token", lambda body, secret: secret),
        "missing header X-Webhook-Token",
        "token mismatch",
    ),
}


def _body_for(name: str, scheme: Scheme, secret: str | None) -> bytes:
    if name != "ticto":
        return scheme.body
    return json.dumps({**ORDER, **({"token": secret} if secret else {})}).encode()


@pytest.fixture(scope="module")
async def env(bootstrap: str) -> AsyncIterator[GatewayEnv]:
    async with open_gateway(bootstrap) as instance:
        yield instance


async def _send(env: GatewayEnv, hook: Hook, name: str, secret: str | None) -> tuple[int, Any, str]:
    """A request signed with ``secret`` (None: without a credential)."""
    scheme = SCHEMES[name]
    body = _body_for(name, scheme, secret)
    headers, params = scheme.sign(body, secret, hook.url) if secret else ({}, {})
    status, answer, answer_headers = await env.post(
        hook, body, {"Content-Type": scheme.content_type, **headers}, params=params or None
    )
    return status, answer, answer_headers["X-Request-Id"]


def _rejections(scheme: str) -> float:
    value = REGISTRY.get_sample_value("hookline_signature_rejections_total", {"scheme": scheme})
    return value or 0.0


@pytest.mark.parametrize("name", list(SCHEMES))
async def test_each_verifier_good_wrong_and_missing(env: GatewayEnv, name: str) -> None:
    scheme = SCHEMES[name]
    hook = await env.hook(scheme.platform, secret=SECRET)
    before = _rejections(name)

    status, answer, missing_id = await _send(env, hook, name, None)
    assert (status, answer) == (401, {"ok": False, "error": scheme.missing, "scheme": name})
    status, answer, wrong_id = await _send(env, hook, name, "not-the-secret-at-all")
    assert (status, answer) == (401, {"ok": False, "error": scheme.wrong, "scheme": name})
    status, answer, good_id = await _send(env, hook, name, SECRET)
    assert status == 200 and answer["id"] == good_id, answer

    envelope = await env.envelope(hook, good_id)
    assert envelope.body == _body_for(name, scheme, SECRET)
    assert [e.request_id for e in env.webhooks.by_key[hook.id]] == [good_id]  # 401s wrote nothing
    assert SECRET not in json.dumps(envelope.headers) + json.dumps(envelope.query)
    assert _rejections(name) == before + 2

    for request_id, reason in ((missing_id, scheme.missing), (wrong_id, scheme.wrong)):
        rejected = await env.rejected(request_id)
        assert (rejected.status, rejected.reason, rejected.scheme) == (401, reason, name)
        assert rejected.integration_id == hook.id
        assert SECRET not in rejected.model_dump_json()


@pytest.mark.parametrize("name", ["stripe", "calendly"])
async def test_stale_and_future_timestamps(env: GatewayEnv, name: str) -> None:
    scheme = SCHEMES[name]
    hook = await env.hook(scheme.platform, secret=SECRET)
    header = "Stripe-Signature" if name == "stripe" else "Calendly-Webhook-Signature"
    tolerance = 300 if name == "stripe" else 180
    current = now()
    for t in (current - tolerance - 30, current + tolerance + 30):
        status, answer, _ = await env.post(
            hook, BODY, {"Content-Type": "application/json", header: timestamped(t, BODY)}
        )
        assert (status, answer["error"]) == (401, f"timestamp outside tolerance ({tolerance} s)")
    status, answer, _ = await env.post(
        hook, BODY, {"Content-Type": "application/json", header: timestamped(current - 60, BODY)}
    )
    assert status == 200
    await env.envelope(hook, answer["id"])
    assert len(env.webhooks.by_key[hook.id]) == 1


def _vector(name: str) -> dict[str, Any]:
    return json.loads((require_samples_dir() / name).read_text(encoding="utf-8"))


async def test_stripe_official_vector(env: GatewayEnv) -> None:
    vector = _vector("stripe__signature_test_vector.json")
    test = vector["signature_test"]
    computed = test["example_computed_here"]
    hook = await env.hook("stripe", secret=test["secret"])
    headers = {"Content-Type": "application/json", "Stripe-Signature": computed["Stripe-Signature"]}
    raw = vector["raw_body"].encode()

    # Today the vector's timestamp (2023) is stale.
    status, answer, _ = await env.post(hook, raw, headers)
    assert (status, answer["error"]) == (401, "timestamp outside tolerance (300 s)")
    clock, env.gateway.clock = env.gateway.clock, lambda: computed["timestamp"] + 10
    try:
        # At the time it was made it is good; the body re-serialised is not.
        reserialised = json.dumps(json.loads(raw)).encode()
        status, bad, _ = await env.post(hook, reserialised, headers)
        status_good, good, _ = await env.post(hook, raw, headers)
    finally:
        env.gateway.clock = clock
    assert (status, bad["error"]) == (401, "signature mismatch")
    assert status_good == 200
    envelope = await env.envelope(hook, good["id"])
    assert envelope.body == raw and envelope.delivery_id == "evt_test_webhook"


async def test_twilio_official_vector(env: GatewayEnv) -> None:
    vector = _vector("twilio__signature_test_vector.json")
    test = vector["signature_test"]
    # The test signer reproduces the official vector ...
    official = twilio_signature(test["auth_token"], test["url"], vector["body"].encode())
    assert official == test["expected_X-Twilio-Signature"]
    # ... and signs the hook's public URL (what Twilio would call) with the same body.
    hook = await env.hook("twilio", secret=test["auth_token"])
    body = vector["body"].encode()
    url = hook.url + "?foo=1&bar=2"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(test["auth_token"], url, body),
    }
    params = {"foo": "1", "bar": "2"}
    status, answer, _ = await env.post(hook, body, headers, params=params)
    assert status == 200, answer
    # The official signature is for another URL: refused here.
    status, refused, _ = await env.post(
        hook, body, {**headers, "X-Twilio-Signature": official}, params=params
    )
    assert (status, refused["error"]) == (401, "signature mismatch")
    envelope = await env.envelope(hook, answer["id"])
    assert envelope.delivery_id == "CA1234567890ABCDE"  # CallSid, from the preset


async def test_gzip_bodies_are_verified_decoded(env: GatewayEnv) -> None:
    hook = await env.hook("shopify", secret=SECRET)
    headers = {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "X-Shopify-Hmac-Sha256": b64_mac("sha256", BODY),
    }
    status, answer, _ = await env.post(hook, gzip.compress(BODY), headers)
    assert status == 200, answer
    assert (await env.envelope(hook, answer["id"])).body == BODY


async def test_legacy_body_tokens_are_masked_in_the_rejected_log(env: GatewayEnv) -> None:
    hook = await env.hook("hotmart", secret=SECRET)
    body = json.dumps({"hottok": "a-wrong-token", "event": "PURCHASE_APPROVED"}).encode()
    status, answer, headers = await env.post(hook, body, {"Content-Type": "application/json"})
    assert (status, answer["error"]) == (401, "token mismatch")
    rejected = await env.rejected(headers["X-Request-Id"])
    assert "a-wrong-token" not in rejected.body_excerpt
    assert json.loads(rejected.body_excerpt) == {"hottok": "***", "event": "PURCHASE_APPROVED"}
    good = body.replace(b"a-wrong-token", SECRET.encode())
    status, answer, _ = await env.post(hook, good, {"Content-Type": "application/json"})
    assert status == 200
    # The raw body on the topic stays intact (replay and re-verification need it).
    assert (await env.envelope(hook, answer["id"])).body == good
