"""Throughput and latency of ``POST /hooks/{token}`` next to a bare aiohttp handler.

    python bench/gateway.py --requests 20000 --concurrency 32 --body-bytes 2048
    python bench/gateway.py --client wrk --seconds 10 --concurrency 32   # apt-get install wrk

Starts the embedded broker and creates the topics, writes an account and an
integration to the config topic (ConfigWriter), then serves, each in its own
process and one after the other:

- the gateway (``build_http_app(gateway=True, api=False)``): an HMAC-signed generic
  integration, so every request is read, verified, given a delivery id, checked
  against the duplicate cache and written to Kafka with acks=all before its 200;
- a plain Kafka gateway: an aiohttp handler that reads the body and writes it with
  ``send_and_wait`` through the gateway's own producer settings (acks=all), and nothing
  else (no token, signature, dedup, rate limit, envelope, metrics or log): what aiohttp
  and aiokafka cost alone, so the ceiling a gateway with those guarantees can reach;
- a bare aiohttp app that reads the body and answers 200, without Kafka.

The same requests (unique 2 KB JSON bodies, signed) are driven at both with the
same fixed concurrency from this process; it prints requests/s, p50 and p99 of
each and the ratios. Every request must be answered 200.

``--client wrk`` drives both with wrk (``-t1``, one connection per concurrent
request) instead: Python's client caps the bare server well below what it serves,
so only wrk shows the real ratio. wrk cannot sign, so its requests share one signed
2 KB body and differ by a query parameter, which is part of the delivery's content
hash: every request is still verified, a new delivery, and written with acks=all.
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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import cpu_seconds
from bench.workdir import add_keep_data, work_dir
from core.config.state import secret_hash
from core.config.view import ConfigView
from core.config.writer import ConfigWriter
from core.kafka import ensure_topics, new_producer
from core.logs import setup_logging
from core.loop import new_event_loop, settle_gc_on_startup
from hookline.api.integrations import new_token
from hookline.embedded.broker import EmbeddedBroker, free_port
from schemas.config import Account, Integration, RateLimit, UrlToken
from schemas.topics import WEBHOOKS
from schemas.types import Plan, new_id

SECRET = "bench-hmac-secret"


GATEWAY = "gateway (Kafka acks=all)"
PLAIN_KAFKA = "plain aiohttp + aiokafka"
BARE = "bare aiohttp"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the two servers (child processes) ---------------------------------------------
def serve_gateway(port: int, bootstrap: str, log_path: str, log_level: str, loop: str) -> None:
    from core.settings import Settings
    from hookline.runtime import Runtime
    from hookline.server import build_http_app, server_options

    setup_logging(log_level)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().handlers = [handler]  # JSON lines to a file, as in production
    settings = Settings(
        bootstrap_servers=bootstrap, embedded_broker=True, log_level=log_level, event_loop=loop
    )

    async def app() -> web.Application:  # the producer belongs to run_app's loop
        built = build_http_app(Runtime.create(settings), gateway=True, api=False)
        built.on_startup.append(settle_gc_on_startup)  # as hookline gateway does
        return built

    options = {**server_options(settings), "access_log": None, "print": None}
    web.run_app(app(), host="127.0.0.1", port=port, loop=new_event_loop(loop), **options)


def serve_plain_kafka(port: int, bootstrap: str, loop: str) -> None:
    async def app() -> web.Application:
        producer = new_producer(bootstrap)

        async def write(request: web.Request) -> web.Response:
            await producer.send_and_wait(WEBHOOKS.name, await request.read())
            return web.json_response({"ok": True})

        async def start(_: web.Application) -> None:
            await producer.start()

        async def stop(_: web.Application) -> None:
            await producer.stop()

        built = web.Application()
        built.router.add_post("/hooks/{token}", write)
        built.on_startup.append(start)
        built.on_cleanup.append(stop)
        return built

    web.run_app(
        app(), host="127.0.0.1", port=port, access_log=None, print=None, loop=new_event_loop(loop)
    )


def serve_bare(port: int, loop: str) -> None:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hooks/{token}", ok)
    app.router.add_get("/healthz", ok)
    web.run_app(
        app, host="127.0.0.1", port=port, access_log=None, print=None, loop=new_event_loop(loop)
    )


async def wait_ready(base: str, timeout: float = 60.0) -> None:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                async with session.get(base + "/readyz") as response:
                    # The two plain apps have no /readyz. No worker runs in this benchmark: only
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


WRK_SCRIPT = """
counter = 0
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Signature"] = "{signature}"
request = function()
  counter = counter + 1
  return wrk.format(nil, "{path}?n=" .. counter)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.0f %.0f %.0f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk(base: str, path: str, seconds: float, concurrency: int, size: int, label: str):
    """(requests, requests/s, p50 s, p99 s) of ``seconds`` of wrk load; fails on any
    non-2xx answer."""
    body = json.dumps({"event": "PURCHASE_APPROVED", "pad": "x" * max(0, size - 40)}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    lua_body = "[==[" + body.decode() + "]==]"
    with tempfile.TemporaryDirectory(prefix="hookline-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT.format(body=lua_body, signature=signature, path=path))
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "-s", str(script), base]
        say(f"{label}: {' '.join(command[:4])} for {seconds} s")
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    count, errors, micros, p50, p99, _ = (float(v) for v in line.split()[1:])
    if errors:
        raise RuntimeError(f"{label}: {int(errors)} of {int(count)} requests failed:\n{out}")
    return int(count), count / (micros / 1e6), p50 / 1e6, p99 / 1e6


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class Result:
    rate: float  # requests/s
    p50: float  # s
    p99: float  # s
    cpu_us: float  # CPU time of the serving process per request, microseconds


async def measure(
    target: Callable[..., None],
    args: tuple[object, ...],
    path: str,
    requests: list[tuple[bytes, dict[str, str]]],
    warmup: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
    label: str,
    wrk_seconds: float = 0,
) -> Result:
    """Serve ``target(port, *args)`` in a child process and drive the load at it
    (with wrk for ``wrk_seconds`` when given)."""
    port = free_port()
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=target, args=(port, *args), daemon=True)
    process.start()
    assert process.pid is not None
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base)
        say(f"{label}: warming up ({len(warmup)} requests)")
        await drive(base + path, warmup, concurrency, label + " warm-up")
        cpu_before = cpu_seconds(process.pid)
        if wrk_seconds:
            size = len(requests[0][0])
            count, rate, p50, p99 = await asyncio.to_thread(
                wrk, base, path, wrk_seconds, concurrency, size, label
            )
        else:
            say(f"{label}: {len(requests)} requests at concurrency {concurrency}")
            seconds, latencies = await drive(base + path, requests, concurrency, label)
            count, rate = len(requests), len(requests) / seconds
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        process.join(20)
    return Result(rate, p50, p99, cpu / count * 1e6)


def spread(values: list[float], fmt: str) -> str:
    """Median, and the range when there are several rounds."""
    median = statistics.median(values)
    if len(values) == 1:
        return format(median, fmt)
    return f"{format(median, fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


async def main() -> None:
    args = parse_args()
    with work_dir("hookline-bench-", args.keep_data) as data:
        await run(args, str(data / "gateway.log"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--body-bytes", type=int, default=2048)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--log-level", default="INFO", help="gateway log level (JSON to a file)")
    parser.add_argument("--client", choices=("python", "wrk"), default="python")
    parser.add_argument("--seconds", type=float, default=10, help="wrk: seconds per server")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of both servers (hookline's default: uvloop)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="the three servers in turn, this many times"
    )
    add_keep_data(parser)
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    return args


async def run(args: argparse.Namespace, log_path: str) -> None:
    wrk_seconds = args.seconds if args.client == "wrk" else 0
    results: dict[str, list[Result]] = {GATEWAY: [], PLAIN_KAFKA: [], BARE: []}
    broker = EmbeddedBroker()
    broker.start()
    try:
        await ensure_topics(broker.bootstrap)
        token = await configure(broker.bootstrap)
        path = f"/hooks/{token}"
        servers = {
            GATEWAY: (serve_gateway, (broker.bootstrap, log_path, args.log_level, args.loop)),
            PLAIN_KAFKA: (serve_plain_kafka, (broker.bootstrap, args.loop)),
            BARE: (serve_bare, (args.loop,)),
        }
        for round_ in range(1, args.rounds + 1):
            say(f"round {round_}/{args.rounds}: preparing bodies")
            # New bodies every round: a repeated body is a duplicate, answered unwritten.
            requests = payloads(args.requests + len(servers) * args.warmup, args.body_bytes)
            measured = requests[len(servers) * args.warmup :]
            for index, (label, (target, target_args)) in enumerate(servers.items()):
                warmup = requests[index * args.warmup : (index + 1) * args.warmup]
                results[label].append(await measure(
                    target, target_args, path, measured, warmup, args.concurrency, label,
                    wrk_seconds,
                ))  # fmt: skip
    finally:
        broker.stop()

    load = f"wrk -t1, {args.seconds:g} s each" if wrk_seconds else f"{args.requests} requests"
    print(
        f"POST /hooks/{{token}}: {load}, {args.body_bytes} B JSON bodies (HMAC-signed), "
        f"concurrency {args.concurrency}, {args.rounds} round(s), event loop {args.loop} (all), "
        f"gateway log level {args.log_level} (its log is kept with --keep-data)"
    )
    print("median (min-max) over rounds")
    print(f"{'':30}{'requests/s':>22}{'p50 ms':>20}{'p99 ms':>20}{'CPU us/request':>22}")
    for label, rows in results.items():
        print(
            f"{label:30}{spread([r.rate for r in rows], ',.0f'):>22}"
            f"{spread([r.p50 * 1000 for r in rows], '.2f'):>20}"
            f"{spread([r.p99 * 1000 for r in rows], '.2f'):>20}"
            f"{spread([r.cpu_us for r in rows], '.0f'):>22}"
        )
    print("ratios in the same round: throughput, and CPU per request (what throughput would")
    print("be if each server had a core to itself)")
    for over, under in ((GATEWAY, BARE), (PLAIN_KAFKA, BARE), (GATEWAY, PLAIN_KAFKA)):
        pairs = list(zip(results[over], results[under], strict=True))
        rates = [a.rate / b.rate for a, b in pairs]
        cpus = [b.cpu_us / a.cpu_us for a, b in pairs]
        print(f"  {over} / {under}: throughput {spread(rates, '.2f')}x, CPU {spread(cpus, '.2f')}x")


if __name__ == "__main__":
    asyncio.run(main())
