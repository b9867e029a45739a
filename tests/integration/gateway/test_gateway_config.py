"""Gateway settings through the management API (secret, signature options, rate
limit, custom response) and the rejected-requests log through the sink, ClickHouse
and ``GET /api/integrations/{id}/rejected``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from schemas.topics import HISTORY
from streams.process import process_envelope
from tests.conftest import new_sink
from tests.integration.gateway.gateway_env import GatewayEnv, Hook, open_gateway

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

SECRET = "gh-style-webhook-secret"


@pytest.fixture
async def env(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[GatewayEnv]:
    async with open_gateway(bootstrap, clickhouse) as instance:
        yield instance


async def api(
    env: GatewayEnv, hook: Hook, method: str, path: str = "", body: Any = None, **params: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {hook.api_key}"}
    url = f"/api/integrations/{hook.id}{path}"
    async with env.client.request(
        method, url, json=body, headers=headers, params=params or None
    ) as response:
        return response.status, await response.json()


async def test_secret_and_signature_options_set_through_the_api(env: GatewayEnv) -> None:
    hook = await env.hook("generic")
    status, out = await api(env, hook, "GET")
    assert (status, out["has_secret"], out["signature_scheme"]) == (200, False, "hmac")
    # Without a secret, nothing is checked.
    assert (await env.post(hook, b'{"n": 0}'))[0] == 200

    # A GitHub-style signature: X-Hub-Signature-256: sha256=<hex>.
    options = {"header": "X-Hub-Signature-256", "prefix": "sha256=", "algorithm": "sha256"}
    status, out = await api(env, hook, "PATCH", body={"secret": SECRET, "signature": options})
    assert status == 200 and out["has_secret"] is True
    assert (
        out["signature"] == {"scheme": None, "encoding": None, "tolerance_seconds": None} | options
    )
    for status_, text in [await api(env, hook, "GET"), await api(env, hook, "PATCH", body={})]:
        assert status_ == 200 and SECRET not in json.dumps(text)

    body = b'{"n": 1}'
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    status, answer, _ = await env.post(hook, body, {"X-Hub-Signature-256": signature})
    assert status == 200, answer
    envelope = await env.envelope(hook, answer["id"])
    assert "x-hub-signature-256" not in envelope.headers  # the configured header is a credential
    status, answer, _ = await env.post(hook, b'{"n": 2}', {"X-Hub-Signature-256": signature})
    assert (status, answer["error"]) == (401, "signature mismatch")
    status, answer, _ = await env.post(hook, body, {"X-Hub-Signature-256": signature[7:]})
    assert (status, answer["error"]) == (
        401,
        "malformed header X-Hub-Signature-256: expected prefix 'sha256='",
    )

    # Removing the secret stops the checks; the options stay for next time.
    status, out = await api(env, hook, "PATCH", body={"secret": None})
    assert out["has_secret"] is False and out["signature"]["header"] == "X-Hub-Signature-256"
    assert (await env.post(hook, b'{"n": 3}'))[0] == 200


async def test_invalid_settings_are_refused_by_the_api(env: GatewayEnv) -> None:
    hook = await env.hook("stripe", secret="whsec_x")
    status, out = await api(env, hook, "PATCH", body={"signature": {"algorithm": "sha1"}})
    assert status == 422 and out["error"] == (
        "invalid signature: scheme 'stripe' does not use: algorithm"
    )
    status, out = await api(env, hook, "PATCH", body={"signature": {"scheme": "md5"}})
    assert status == 422 and out["details"][0]["loc"] == "signature.scheme"
    assert "expected one of: asaas, calendly" in out["error"]
    # Options set for one scheme must still fit when the platform changes.
    status, _ = await api(env, hook, "PATCH", body={"signature": {"tolerance_seconds": 600}})
    assert status == 200
    status, out = await api(env, hook, "PATCH", body={"platform": "shopify"})
    assert status == 422 and "scheme 'shopify' does not use: tolerance_seconds" in out["error"]
    for bad in (
        {"rate_limit": {"per_second": 0}},
        {"rate_limit": {"burst": 0}},
        {"response": {"status": 302}},
        {"response": {"status": 204, "body": "x"}},
        {"response": {"content_type": "text/html\r\nX-Injected: 1"}},
    ):
        status, out = await api(env, hook, "PATCH", body=bad)
        assert status == 422, (bad, out)
    assert env.runtime.view.state.integration(hook.id).rate_limit is None


async def test_rate_limit_and_custom_response_set_through_the_api(env: GatewayEnv) -> None:
    hook = await env.hook()
    patch = {
        "rate_limit": {"per_second": 0.01, "burst": 1},
        "response": {"status": 200, "body": "OK", "content_type": "text/plain"},
    }
    status, out = await api(env, hook, "PATCH", body=patch)
    assert status == 200 and out["rate_limit"] == patch["rate_limit"]
    assert out["response"] == patch["response"]
    async with env.client.post(hook.path, data=b"a=1") as response:
        assert (response.status, await response.text()) == (200, "OK")
    async with env.client.post(hook.path, data=b"a=2") as response:
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
    status, out = await api(env, hook, "PATCH", body={"rate_limit": None, "response": None})
    assert out["rate_limit"] is None and out["response"] is None
    status, answer, _ = await env.post(hook, b"a=3")
    assert status == 200 and answer["ok"] is True


async def _eventually(check, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def test_rejected_requests_are_listed_without_the_secret(
    env: GatewayEnv, clickhouse: ClickHouse, bootstrap: str
) -> None:
    sink = new_sink(bootstrap, HistoryStore(clickhouse))
    hook = await env.hook("shopify", secret=SECRET)
    other = await env.hook("shopify", secret=SECRET)
    await sink.start()
    try:
        wrong = base64.b64encode(bytes(32)).decode()  # well formed, not the signature
        headers = {"X-Shopify-Hmac-Sha256": wrong, "X-Trace": "t-1", "Cookie": "c=1"}
        await env.post(hook, b'{"id": 1, "token": "tk-123"}', headers)
        await env.post(hook, b"{}")  # missing header
        await env.post(hook, b"x" * 70_000)  # too large
        await env.post(other, b"{}")

        async def listed() -> list[dict[str, Any]]:
            status, out = await api(env, hook, "GET", "/rejected")
            assert status == 200, out
            return out["items"] if len(out["items"]) == 3 else []

        items = await _eventually(listed)
    finally:
        await sink.stop()
    # (Stored to the millisecond: requests in the same one have no order between them.)
    assert sorted((i["status"], i["reason"]) for i in items) == [
        (401, "missing header X-Shopify-Hmac-Sha256"),
        (401, "signature mismatch"),
        (413, "body larger than 65536 bytes"),
    ]
    mismatch = next(i for i in items if i["reason"] == "signature mismatch")
    assert mismatch["scheme"] == "shopify" and mismatch["method"] == "POST"
    assert mismatch["headers"]["x-trace"] == "t-1"
    assert (
        "x-shopify-hmac-sha256" not in mismatch["headers"] and "cookie" not in mismatch["headers"]
    )
    assert json.loads(mismatch["body_excerpt"]) == {"id": 1, "token": "***"}
    assert mismatch["remote"] == "127.0.0.1" and mismatch["body_bytes"] == 28
    text = json.dumps(items)
    assert SECRET not in text and "tk-123" not in text
    # Another tenant's integration id is unknown to this account.
    status, out = await api(env, hook, "GET", "/rejected", limit=1)
    assert status == 200 and len(out["items"]) == 1
    status, _ = await api(env, other, "GET", "/rejected")
    assert status == 200
    headers = {"Authorization": f"Bearer {hook.api_key}"}
    async with env.client.get(f"/api/integrations/{other.id}/rejected", headers=headers) as r:
        assert r.status == 404


async def test_credential_headers_are_masked_wherever_people_read_headers(
    env: GatewayEnv, clickhouse: ClickHouse, bootstrap: str
) -> None:
    # Headers no verifier uses but named like credentials: kept on the envelope (a
    # mapping may read any header; a replay maps again), masked in history, /structure
    # and /rejected.
    credentials = {"X-Api-Key": "ak-live-0001", "X-Custom-Auth": "ca-0002", "X-Db-Password": "pw3"}
    headers = {**credentials, "X-Trace": "t-1", "Content-Type": "application/json"}
    hook = await env.hook("generic")
    signed = await env.hook("shopify", secret=SECRET)
    sink = new_sink(bootstrap, HistoryStore(clickhouse))
    await sink.start()
    try:
        status, accepted, _ = await env.post(hook, b'{"event": "paid", "n": 1}', headers)
        assert status == 200, accepted
        envelope = await env.envelope(hook, accepted["id"])
        assert envelope.headers["x-api-key"] == "ak-live-0001"
        # What the worker writes to history for it (streams/process.py).
        history = process_envelope(envelope, env.runtime.view.state).history
        await env.runtime.producer.send_and_wait(
            HISTORY.name, key=envelope.request_id.encode(), value=HISTORY.encode(history)
        )
        assert (await env.post(signed, b"{}", {**headers, "X-Shopify-Hmac-Sha256": "x"}))[0] == 401

        async def structure() -> dict[str, Any] | None:
            status, out = await api(env, hook, "GET", "/structure")
            assert status == 200, out
            return out if out["sampled"] else None

        async def rejected() -> list[dict[str, Any]]:
            status, out = await api(env, signed, "GET", "/rejected")
            assert status == 200, out
            return out["items"]

        shown = await _eventually(structure)
        (refused,) = await _eventually(rejected)
    finally:
        await sink.stop()
    (stored,) = await clickhouse.query(
        "SELECT headers_json FROM {db}.webhooks WHERE request_id = {id:String}",
        {"id": accepted["id"]},
    )
    examples = {h["name"]: h["example"] for h in shown["headers"]}
    for surface in (json.loads(stored["headers_json"]), examples, refused["headers"]):
        assert {name: surface[name.lower()] for name in credentials} == dict.fromkeys(
            credentials, "***"
        )
        assert surface["x-trace"] == "t-1"
    text = json.dumps([stored, shown, refused])
    assert not any(value in text for value in credentials.values())
