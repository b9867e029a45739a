"""Throughput and latency of ``POST /hooks/{token}`` next to a bare aiohttp handler.

    python bench/gateway.py --requests 20000 --concurrency 32 --body-bytes 2048

Starts the embedded broker and creates the topics, writes an account and an
integration to the config topic (ConfigWriter), then serves, each in its own
process and one after the other:

- the gateway (``build_http_app(gateway=True, api=False)``): an HMAC-signed generic
  integration, so every request is read, verified, given a delivery id, checked
  against the duplicate cache and written to Kafka with acks=all before its 200;
- a bare aiohttp app that reads the body and answers 200, without Kafka.

The same requests (unique 2 KB JSON bodies, signed) are driven at both with the
same fixed concurrency from this process; it prints requests/s, p50 and p99 of
each and the ratios. Every request must be answered 200.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import multiprocessing
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config.state import secret_hash
from core.config.view import ConfigView
from core.config.writer import ConfigWriter
from core.kafka import ensure_topics, new_producer
from core.logs import setup_logging
from hookline.api.integrations import new_token
from hookline.embedded.broker import EmbeddedBroker, free_port
from schemas.config import Account, Integration, RateLimit, UrlToken
from schemas.types import Plan, new_id

SECRET = "bench-hmac-secret"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the two servers (child processes) ---------------------------------------------
def serve_gateway(port: int, bootstrap: str, log_path: str, log_level: str) -> None:
    from core.settings import Settings
    from hookline.runtime import Runtime
    from hookline.server import build_http_app

    setup_logging(log_level)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().handlers = [handler]  # JSON lines to a file, as in production
    settings = Settings(bootstrap_servers=bootstrap, embedded_broker=True, log_level=log_level)

    async def app() -> web.Application:  # the producer belongs to run_app's loop
        return build_http_app(Runtime.create(settings), gateway=True, api=False)

    web.run_app(app(), host="127.0.0.1", port=port, access_log=None, print=None)


def serve_bare(port: int) -> None:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hooks/{token}", ok)
    app.router.add_get("/healthz", ok)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def wait_ready(base: str, timeout: float = 60.0) -> None:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                async with session.get(base + "/readyz") as response:
                    # The bare app has no /readyz. No worker runs in this benchmark: only
                    # the gateway's own checks (config, broker) must pass.
                    if response.status == 404 or not (
                        set((await response.json())["reasons"]) - {"worker", "lag"}
                    ):
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{base} not ready after {timeout} s")


# -- config and load -----------------------------------------------------------------
async def configure(bootstrap: str) -> str:
    """An elite account and a generic integration with an HMAC secret; its URL token."""
    producer = new_producer(bootstrap)
    view = ConfigView(bootstrap)
    await producer.start()
    await view.start()
    try:
        writer = ConfigWriter(producer, view)
        account = Account(id=new_id("acc"), name="bench", plan=Plan.elite, api_key_hash="-")
        token = new_token()
        integration = Integration(
            id=new_id("int"),
            account_id=account.id,
            name="bench",
            platform="generic",
            tokens=[UrlToken(hash=secret_hash(token))],
            secret=SECRET,
            # The default limit (50/s per integration) would answer most of the load 429.
            rate_limit=RateLimit(per_second=100_000, burst=1_000_000),
        )
        await writer.put(account)
        await writer.put(integration)
        return token
    finally:
        await view.stop()
        await producer.stop()


def payloads(count: int, size: int) -> list[tuple[bytes, dict[str, str]]]:
    """Unique JSON bodies of ``size`` bytes, each with its signature headers."""
    out = []
    for i in range(count):
        doc = {"id": f"evt-{i}-{secrets.token_hex(4)}", "event": "PURCHASE_APPROVED", "pad": ""}
        doc["pad"] = "x" * max(0, size - len(json.dumps(doc)))
        body = json.dumps(doc).encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Webhook-Signature": signature}
        out.append((body, headers))
    return out


async def drive(
    url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int, label: str
) -> tuple[float, list[float]]:
    """Send every request with ``concurrency`` in flight; (seconds, latencies)."""
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    step = max(1, len(requests) // 5)

    async def client(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body, headers = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{label}: {response.status} {await response.text()}")
            latencies.append(time.perf_counter() - started)
            if len(latencies) % step == 0:
                say(f"  {label}: {len(latencies)}/{len(requests)}")

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


async def measure(
    target: Callable[..., None],
    args: tuple[object, ...],
    path: str,
    requests: list[tuple[bytes, dict[str, str]]],
    warmup: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
    label: str,
) -> tuple[float, float, float]:
    """Serve ``target(port, *args)`` in a child process and drive the load at it."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=target, args=(port, *args), daemon=True)
    process.start()
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base)
        say(f"{label}: warming up ({len(warmup)} requests)")
        await drive(base + path, warmup, concurrency, label + " warm-up")
        say(f"{label}: {len(requests)} requests at concurrency {concurrency}")
        seconds, latencies = await drive(base + path, requests, concurrency, label)
    finally:
        process.terminate()
        process.join(20)
    return len(requests) / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--body-bytes", type=int, default=2048)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--log-level", default="INFO", help="gateway log level (JSON to a file)")
    args = parser.parse_args()

    broker = EmbeddedBroker()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap)
        token = await configure(broker.bootstrap)
        path = f"/hooks/{token}"
        say(f"broker {broker.bootstrap}; preparing {args.requests + 2 * args.warmup} bodies")
        requests = payloads(args.requests + 2 * args.warmup, args.body_bytes)
        gateway_warmup, bare_warmup = (
            requests[: args.warmup],
            requests[args.warmup : 2 * args.warmup],
        )
        measured = requests[2 * args.warmup :]
        log_path = str(Path(tempfile.mkdtemp(prefix="hookline-bench-")) / "gateway.log")
        gateway = await measure(
            serve_gateway, (broker.bootstrap, log_path, args.log_level), path,
            measured, gateway_warmup, args.concurrency, "gateway",
        )  # fmt: skip
        bare = await measure(
            serve_bare, (), path, measured, bare_warmup, args.concurrency, "bare aiohttp"
        )
    finally:
        broker.stop()

    size = len(measured[0][0])
    print(
        f"POST /hooks/{{token}}: {len(measured)} requests, {size} B JSON bodies (HMAC-signed), "
        f"concurrency {args.concurrency}, gateway log level {args.log_level} (log: {log_path})"
    )
    print(f"{'':24}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    for label, (rate, p50, p99) in (("gateway (Kafka acks=all)", gateway), ("bare aiohttp", bare)):
        print(f"{label:24}{rate:>12,.0f}{p50 * 1000:>10.2f}{p99 * 1000:>10.2f}")
    print(
        f"ratio gateway/bare: throughput {gateway[0] / bare[0]:.2f}x, "
        f"p50 {gateway[1] / bare[1]:.1f}x, p99 {gateway[2] / bare[2]:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
