"""The gateway's CPU per webhook in process: its handler alone, no HTTP server, no broker.

    .venv/bin/python bench/gateway_cpu.py --webhooks 20000 --rounds 5

``bench/gateway.py`` measures the whole gateway under wrk, where aiohttp's server,
aiokafka and the machine's load all move the figure. This one times what hookline's own
code adds, on one core and without noise, so a change to it can be judged in seconds:
``receive_webhook`` (``ingest/routes.py``) on requests built in memory, every step
included (token lookup, plan and rate limit, body read, signature check, delivery id,
duplicate claim, envelope, partition key, encoding the record, the answer, metrics),
with a producer that keeps the record instead of sending it.

Two integrations, one request stream each:

- ``generic``: an HMAC-signed generic integration and 2 KB JSON bodies, as
  ``bench/gateway.py`` sends (its delivery id is the content hash);
- ``hotmart``: what ``bench/e2e.py`` sends and the front takes at 1,000/s: the Hotmart
  integration it configures (no secret, the preset mapping) and the real sample, a
  distinct id and phone each; the delivery id and the partition key (the lead's phone)
  are read from the body.

Beside it, in the same run, the bare work those guarantees need whatever the code: an
HMAC-SHA256 of the body, a SHA-256 content hash, the envelope as JSON with the body in
base64 and the JSON answer. CPU time (``time.process_time``) per webhook, median and
range over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e2e import bodies as hotmart_bodies
from bench.worker_cpu import ACCOUNT, config_state, cpu_us, summary
from core.config.state import ConfigState, secret_hash
from core.http import REQUEST_ID
from core.loop import new_event_loop
from core.settings import Settings
from hookline.api.integrations import new_token
from ingest.routes import receive_webhook
from ingest.state import GATEWAY, Gateway
from schemas.config import Integration, RateLimit, UrlToken
from schemas.types import new_id

SECRET = "bench-hmac-secret"
#: The Hotmart integration's URL token in ``bench/worker_cpu.py``'s config.
HOTMART_TOKEN = "token"
#: Headers wrk sends besides the request's own (bench/gateway.py).
TRANSPORT = {"Host": "127.0.0.1:8080", "User-Agent": "wrk"}


class KeptRecords:
    """The producer's one call on the gateway's path: keeps what it is given."""

    def __init__(self) -> None:
        self.count = 0
        self.last: tuple[str, bytes | None, bytes] | None = None

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.count += 1
        self.last = (topic, key, value)


class _Transport:
    """What a body stream asks of its connection: nothing to do in memory."""

    _reading_paused = False

    def pause_reading(self, *args: Any, **kwargs: Any) -> None:
        pass

    def resume_reading(self, *args: Any, **kwargs: Any) -> None:
        pass


def config() -> tuple[ConfigState, dict[str, str]]:
    """``bench/worker_cpu.py``'s config (``bench/e2e.py``'s Hotmart integration, its
    preset mapping and conversion event) plus an HMAC-signed generic integration; each
    stream's URL token."""
    state = config_state()
    token = new_token()
    generic = Integration(
        id=new_id("int"),
        account_id=ACCOUNT,
        name="generic",
        platform="generic",
        tokens=[UrlToken(hash=secret_hash(token))],
        secret=SECRET,
        # The default limit (50/s per integration) would refuse most of the stream.
        rate_limit=RateLimit(per_second=100_000, burst=1_000_000),
    )
    state.apply(generic.key, generic)
    return state, {"generic": token, "hotmart": HOTMART_TOKEN}


def generic_request(index: int, size: int) -> tuple[bytes, dict[str, str]]:
    doc = {"id": f"evt-{index}", "event": "PURCHASE_APPROVED", "pad": ""}
    doc["pad"] = "x" * max(0, size - len(json.dumps(doc)))
    body = json.dumps(doc).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Webhook-Signature": signature}


def hotmart_requests(start: int, count: int) -> list[tuple[bytes, dict[str, str]]]:
    headers = {"Content-Type": "application/json"}
    return [(body, headers) for body in hotmart_bodies(count, start=start)]


def requests(
    app: web.Application, token: str, bodies: list[tuple[bytes, dict[str, str]]]
) -> list[web.Request]:
    out = []
    for index, (body, headers) in enumerate(bodies):
        stream = StreamReader(_Transport(), 2**16, loop=asyncio.get_running_loop())
        stream.feed_data(body)
        stream.feed_eof()
        request = make_mocked_request(
            "POST",
            f"/hooks/{token}",
            headers={**TRANSPORT, **headers, "Content-Length": str(len(body))},
            payload=stream,
            match_info={"token": token},
            app=app,
        )
        request[REQUEST_ID] = f"{index:032x}"  # as core/http.py's middleware sets it
        out.append(request)
    return out


async def handled(batch: list[web.Request]) -> int:
    for request in batch:
        response = await receive_webhook(request)
        if response.status != 200:
            raise RuntimeError(f"answered {response.status}: {response.text}")
    return len(batch)


def bare_work(bodies: list[tuple[bytes, dict[str, str]]]) -> int:
    """What any gateway with these guarantees computes for a webhook."""
    key = SECRET.encode()
    for body, headers in bodies:
        digest = hmac.digest(key, body, "sha256")
        hmac.compare_digest(digest, digest)
        content = hashlib.sha256(body).hexdigest()
        record = {
            "request_id": content[:32],
            "headers": headers,
            "body": base64.b64encode(body).decode(),
            "delivery_id": content,
        }
        json.dumps(record).encode()
        json.dumps({"ok": True, "id": content[:32]}).encode()
    return len(bodies)


async def run(
    args: argparse.Namespace, producer: KeptRecords | None = None
) -> dict[str, list[float]]:
    state, tokens = config()
    settings = Settings(bootstrap_servers="127.0.0.1:9", embedded_broker=False)
    producer = producer or KeptRecords()
    gateway = Gateway.create(settings, SimpleNamespace(ready=True, state=state), producer)
    app = web.Application()
    app[GATEWAY] = gateway
    figures: dict[str, list[float]] = {}
    for round_index in range(args.rounds + 1):  # round 0 warms up and is not counted
        offset = round_index * args.webhooks
        streams = {
            "generic": [generic_request(offset + i, args.body_bytes) for i in range(args.webhooks)],
            "hotmart": hotmart_requests(offset, args.webhooks),
        }
        for name, bodies in streams.items():
            batch = requests(app, tokens[name], bodies)
            started = time.process_time()
            await handled(batch)
            spent = (time.process_time() - started) / len(batch) * 1e6
            bare, done = cpu_us(len(bodies), bare_work, bodies)
            if done != len(bodies):
                raise RuntimeError(f"bare work: {done} of {len(bodies)} done")
            if round_index:
                figures.setdefault(name, []).append(spent)
                figures.setdefault(f"{name} bare", []).append(bare)
        print(f"  round {round_index}/{args.rounds} done", file=sys.stderr)
    if producer.count != (args.rounds + 1) * args.webhooks * len(tokens):
        raise RuntimeError(f"{producer.count} records kept")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhooks", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--body-bytes", type=int, default=2048, help="generic bodies' size")
    args = parser.parse_args()
    loop = new_event_loop("uvloop")
    try:
        figures = loop.run_until_complete(run(args))
    finally:
        loop.close()
    print(f"webhooks: {args.webhooks} per round and integration, {args.rounds} rounds;")
    print("CPU µs per webhook, median (range)")
    for name in ("generic", "hotmart"):
        ratio = statistics.median(figures[f"{name} bare"]) / statistics.median(figures[name])
        print(
            f"{name:8s} handler: {summary(figures[name])}   bare work: "
            f"{summary(figures[f'{name} bare'])}   bare/handler {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
