"""A gateway (and the management API) against the real broker, for the gateway tests.

``GatewayEnv`` serves ``build_http_app`` through aiohttp's TestServer, writes
accounts and integrations straight to the config topic, and reads back what reached
``hookline.webhooks`` and ``hookline.history``. Every test makes its own
integration, so "the envelopes of this integration" are exactly the ones its
requests wrote; a marker request written last proves nothing else is on its way
(one producer, one partition per integration: order is kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import AIOKafkaConsumer, TopicPartition
from multidict import CIMultiDict

from core.config.state import secret_hash
from core.settings import Settings
from hookline.api.integrations import new_token
from hookline.history.clickhouse import ClickHouse
from hookline.runtime import RUNTIME, Runtime
from hookline.server import build_http_app
from ingest.state import GATEWAY, Gateway
from schemas.config import Account, Integration, UrlToken
from schemas.envelope import WebhookEnvelope
from schemas.history import RejectedRequest
from schemas.topics import HISTORY, WEBHOOKS
from schemas.types import Plan, new_id

PUBLIC_URL = "https://hooks.example.test"
#: Small, so that size-limit tests stay cheap (the minimum the settings allow is 1 KiB).
MAX_BODY = 64 * 1024
TEST_SETTINGS: dict[str, Any] = {
    # The tests' broker is the embedded one: its profile (no idempotent producer, ...).
    "embedded_broker": True,
    "public_url": PUBLIC_URL,
    "max_body_bytes": MAX_BODY,
    "admin_token": "admin-secret",
    "produce_timeout_seconds": 2.0,
    # Generous, so only the rate-limit tests (which set their own) ever see a 429.
    "rate_limit_per_second": 10_000.0,
    "rate_limit_burst": 10_000,
}


@dataclass
class Hook:
    """An integration and its URL."""

    integration: Integration
    token: str
    api_key: str

    @property
    def id(self) -> str:
        return self.integration.id

    @property
    def path(self) -> str:
        return f"/hooks/{self.token}"

    @property
    def url(self) -> str:
        return PUBLIC_URL + self.path


def integration_record(account: Account, platform: str, **fields: Any) -> tuple[Integration, str]:
    """A new integration of ``account`` and its URL token."""
    token = new_token()
    integration = Integration(
        id=new_id("int"),
        account_id=account.id,
        name=f"{platform} test",
        platform=platform,
        tokens=[UrlToken(hash=secret_hash(token))],
        **fields,
    )
    return integration, token


async def until_serving(session: aiohttp.ClientSession, url: str) -> None:
    """Until a gateway process answers 200 at ``url`` (a hook's): it is ready, and has
    read the hook's integration."""
    async with asyncio.timeout(60):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)


class TopicReader:
    """Reads a topic from the beginning on demand and indexes its records."""

    def __init__(self, bootstrap: str, spec: Any) -> None:
        self.spec = spec
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
        )
        #: key -> values in offset order
        self.by_key: defaultdict[str, list[Any]] = defaultdict(list)

    async def start(self) -> None:
        await self.consumer.start()
        # The consumer's first metadata may not list the topic yet (just created, or the
        # broker just restarted): assigning no partition would read nothing, silently.
        async with asyncio.timeout(10):
            while not (partitions := self.consumer.partitions_for_topic(self.spec.name)):
                await self.consumer.topics()  # asks the broker for metadata again
                await asyncio.sleep(0.1)
        tps = [TopicPartition(self.spec.name, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)

    async def stop(self) -> None:
        await self.consumer.stop()

    async def poll(self) -> None:
        batches = await self.consumer.getmany(timeout_ms=100, max_records=10_000)
        for records in batches.values():
            for record in records:
                if record.key is not None and record.value is not None:
                    self.by_key[record.key.decode()].append(self.spec.decode(record.value))

    async def wait(self, predicate, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await self.poll()


class GatewayEnv:
    def __init__(self, client: TestClient, bootstrap: str) -> None:
        self.client = client
        self.webhooks = TopicReader(bootstrap, WEBHOOKS)
        self.history = TopicReader(bootstrap, HISTORY)

    @property
    def runtime(self) -> Runtime:
        return self.client.app[RUNTIME]

    @property
    def gateway(self) -> Gateway:
        return self.client.app[GATEWAY]

    async def hook(
        self, platform: str = "generic", *, plan: Plan = Plan.elite, **fields: Any
    ) -> Hook:
        """A new account and integration, written to the config topic."""
        api_key = "hk_" + secrets.token_urlsafe(16)
        account = Account(
            id=new_id("acc"), name="Loja", plan=plan, api_key_hash=secret_hash(api_key)
        )
        integration, token = integration_record(account, platform, **fields)
        await self.runtime.writer.put(account)
        await self.runtime.writer.put(integration)
        return Hook(integration, token, api_key)

    async def update(self, hook: Hook, **changes: Any) -> None:
        hook.integration = hook.integration.model_copy(update=changes)
        await self.runtime.writer.put(hook.integration)

    async def post(
        self, hook: Hook | str, body: bytes = b"", headers: dict[str, str] | None = None, **kw: Any
    ) -> tuple[int, Any, CIMultiDict[str]]:
        """(status, JSON or text, headers) of a POST to the hook's URL."""
        path = hook if isinstance(hook, str) else hook.path
        async with self.client.post(path, data=body, headers=headers or {}, **kw) as response:
            text = await response.text()
            data: Any = text
            if response.content_type == "application/json":
                data = await response.json()
            return response.status, data, response.headers.copy()

    async def envelopes(self, hook: Hook, marker: bool = True) -> list[WebhookEnvelope]:
        """Every envelope of the hook's integration; with ``marker``, after writing one
        more request and seeing it arrive, so nothing written before is still on its way."""
        if marker:
            status, body, _ = await self.post(hook, b"marker=" + secrets.token_hex(8).encode())
            assert status == 200, body
            marker_id = body["id"]
            await self.webhooks.wait(
                lambda: any(e.request_id == marker_id for e in self.webhooks.by_key[hook.id])
            )
            return [e for e in self.webhooks.by_key[hook.id] if e.request_id != marker_id]
        return list(self.webhooks.by_key[hook.id])

    async def envelope(self, hook: Hook, request_id: str) -> WebhookEnvelope:
        def found() -> bool:
            return any(e.request_id == request_id for e in self.webhooks.by_key[hook.id])

        await self.webhooks.wait(found)
        return next(e for e in self.webhooks.by_key[hook.id] if e.request_id == request_id)

    async def rejected(self, request_id: str) -> RejectedRequest:
        def found() -> bool:
            return any(isinstance(r, RejectedRequest) for r in self.history.by_key[request_id])

        await self.history.wait(found)
        return next(r for r in self.history.by_key[request_id] if isinstance(r, RejectedRequest))


@asynccontextmanager
async def open_gateway(
    bootstrap: str, clickhouse: ClickHouse | None = None, **settings: Any
) -> AsyncIterator[GatewayEnv]:
    runtime = Runtime.create(
        Settings(bootstrap_servers=bootstrap, **(TEST_SETTINGS | settings)), clickhouse
    )
    app = build_http_app(runtime, gateway=True, api=True)
    async with TestClient(TestServer(app)) as client:
        env = GatewayEnv(client, bootstrap)
        await env.webhooks.start()
        await env.history.start()
        try:
            yield env
        finally:
            await env.webhooks.stop()
            await env.history.stop()
