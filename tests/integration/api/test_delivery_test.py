"""``POST /api/integrations/{id}/test`` against the real gateway and broker: the platform's
cited sample goes through the integration's own URL, signed with its secret, is verified by
the gateway like any delivery and lands on hookline.webhooks unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookline.api.delivery_test import platform_sample, sample_bytes
from ingest.signing import scheme_of
from platforms import PLATFORM_IDS, get_preset
from streams.mapping import map_request
from tests.integration.gateway.gateway_env import GatewayEnv, Hook, open_gateway

pytestmark = [pytest.mark.kafka]


@pytest.fixture
async def env(bootstrap: str):
    async with open_gateway(bootstrap) as instance:
        yield instance


async def _test(env: GatewayEnv, hook: Hook, url: str) -> tuple[int, Any]:
    async with env.client.post(
        f"/api/integrations/{hook.id}/test",
        data=json.dumps({"url": url}),
        headers={"Authorization": f"Bearer {hook.api_key}", "Content-Type": "application/json"},
    ) as response:
        return response.status, await response.json()


@pytest.mark.parametrize("platform", ["monetizze", "pagarme", "typeform", "eduzz", "hotmart"])
async def test_the_signed_sample_goes_through_the_integrations_url(
    env: GatewayEnv, platform: str
) -> None:
    hook = await env.hook(platform, secret="s3cret-of-this-integration")
    url = str(env.client.make_url(f"/hooks/{hook.token}"))
    status, body = await _test(env, hook, url)
    assert status == 200, body
    assert body["status"] == 200 and body["signed_with"] == scheme_of(hook.integration), body
    sample = platform_sample(platform)
    assert body["sample"] == sample["fixture"] and body["source"] == sample["source"]
    envelope = await env.envelope(hook, body["answer"]["id"])
    # The platform's preset maps what arrived as its fixture says.
    _, lead = map_request(get_preset(platform).mapping, envelope.body, envelope.content_type)
    assert lead.event == str(sample["expected"]["event"]) and lead.ok, lead.errors
    assert lead.name == sample["expected"]["name"]


async def test_the_current_secret_signs_and_foreign_urls_or_missing_samples_are_refused(
    env: GatewayEnv,
) -> None:
    hook = await env.hook("pagarme", secret="right-secret")
    await env.update(hook, secret="another-secret")  # the gateway and the API share config
    url = str(env.client.make_url(f"/hooks/{hook.token}"))
    status, body = await _test(env, hook, url)
    assert status == 200 and body["status"] == 200, body  # both sides use the current one
    # Another integration's URL, or no sample for the platform: 422 with the reason.
    other = await env.hook("pagarme")
    status, body = await _test(env, hook, str(env.client.make_url(f"/hooks/{other.token}")))
    assert status == 422 and "not this integration's webhook URL" in body["error"]
    bagy = await env.hook("bagy")
    status, body = await _test(env, bagy, str(env.client.make_url(f"/hooks/{bagy.token}")))
    assert status == 422 and "no public sample" in body["error"]


def test_every_sample_is_one_of_its_platforms_cited_fixtures() -> None:
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "platforms"
    for platform in PLATFORM_IDS:
        sample = platform_sample(platform)
        if sample is None:
            continue
        record = json.loads((fixtures / sample["fixture"]).read_text(encoding="utf-8"))
        assert record["body"] == sample["body"] and record["source"] == sample["source"]
        assert sample_bytes(sample)
