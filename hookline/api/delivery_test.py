"""``POST /api/integrations/{id}/test``: a real, cited payload of the integration's platform
(``platforms/samples/<id>.json``, a copy of one of its tests/fixtures/platforms payloads),
sent through the integration's own URL, signed with the integration's secret the way the
platform signs (ingest/sign.py), so a user sees the whole path work (gateway, signature,
mapping, conversion events) before the platform sends anything. The delivery then shows in
the integration's history like any other."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from hookline.api.call import ApiError, Call
from ingest.sign import Outgoing, UnsignableError, sign
from ingest.signing import scheme_of
from schemas.api import TestDelivery, TestDeliveryOut
from schemas.config import Integration

SAMPLES = Path(__file__).resolve().parents[2] / "platforms" / "samples"
TIMEOUT_SECONDS = 10


@lru_cache(maxsize=64)
def platform_sample(platform: str) -> dict[str, Any] | None:
    """The platform's test sample, or None when no public payload was found for it."""
    path = SAMPLES / f"{platform}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def sample_bytes(sample: dict[str, Any]) -> bytes:
    body = sample["body"]
    return body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()


def _check_url(call: Call, integration: Integration, url: str) -> None:
    """The URL must be this integration's (its token names it), else 422."""
    parts = urlsplit(url)
    token = parts.path.rstrip("/").rsplit("/hooks/", 1)[-1] if "/hooks/" in parts.path else ""
    owner = call.state.integration_by_token(token) if token else None
    if parts.scheme not in ("http", "https") or owner is None or owner.id != integration.id:
        raise ApiError(422, "url: not this integration's webhook URL (see its url)")


async def send_test(call: Call) -> TestDeliveryOut:
    integration = call.owned(Integration, call.path("id"))
    body: TestDelivery = call.body
    sample = platform_sample(integration.platform)
    if sample is None:
        raise ApiError(
            422, f"no public sample payload for platform {integration.platform!r}: "
            "send a test from the platform itself",
        )  # fmt: skip
    _check_url(call, integration, body.url)
    content_type = sample["content_type"]
    out = Outgoing(body.url, sample_bytes(sample), dict(sample.get("headers", {})))
    scheme = None
    if integration.secret:
        scheme = scheme_of(integration)
        header = integration.signature.header if integration.signature else None
        try:
            out = sign(scheme, integration.secret, out, content_type=content_type,
                       now=int(time.time()), header=header)  # fmt: skip
        except UnsignableError as exc:
            raise ApiError(422, str(exc)) from None
    headers = {"Content-Type": content_type, "User-Agent": "hookline-test-delivery", **out.headers}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(out.url, data=out.body, headers=headers) as response:
                text = await response.text()
                status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        # Not an error of this request: the answer says the URL did not answer (status 0).
        status, text = 0, f"the webhook URL could not be reached: {exc or type(exc).__name__}"
    try:
        answer: Any = json.loads(text)
    except ValueError:
        answer = text[:2000]
    return TestDeliveryOut(
        sample=sample["fixture"],
        source=sample["source"],
        signed_with=scheme,
        status=status,
        answer=answer,
        expected=sample["expected"],
    )
