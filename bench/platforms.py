"""The worker's webhook stage on every platform's real payload, in process (no broker).

    .venv/bin/python bench/platforms.py --rounds 5
    .venv/bin/python bench/platforms.py --platform shopify --platform cakto

``bench/worker_cpu.py`` times one payload (Hotmart's); bodies differ a lot between
platforms: size, depth, credentials in the body (masked before history keeps it). Here
each platform sample (``platforms/samples/<id>.json``, and the team's real payloads in
the samples directory when present) goes through what the webhook agent does per
envelope: decode it, ``process_envelope`` with the platform's preset mapping and, when
the mapped event is there, a conversion event of three actions (add a tag, update a
field, send a message), then encode its commands, history record and dedup mark.

Beside it, in the same run, the bare work on the same body: ``json.loads`` and
``json.dumps`` (form bodies: ``urllib.parse.parse_qs``). CPU per webhook, median and
range over the rounds; the phone is normalised again every webhook (no memo).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import worker_cpu
from bench.samples import samples_dir
from bench.worker_cpu import ACCOUNT, INTEGRATION
from core.config.state import ConfigState
from platforms import PLATFORM_IDS, get_platform
from schemas.envelope import WebhookEnvelope
from schemas.topics import WEBHOOKS
from schemas.types import utcnow
from streams.phone import forget_phones
from streams.process import process_envelope

REPOSITORY_SAMPLES = Path(__file__).resolve().parents[1] / "platforms" / "samples"
#: Every platform maps a name, not always a product: the field takes the name.
ACTIONS = (
    {"type": "add_tag", "tag": "cliente"},
    {"type": "update_field", "field": "produto", "value": "{{name}}"},
    {"type": "send_message", "text": "Oi {{name}}"},
)


@dataclass(frozen=True)
class Payload:
    name: str
    platform: str
    content_type: str
    headers: dict[str, str]
    body: bytes


def payloads(only: list[str]) -> Iterator[Payload]:
    """Every sample of a known platform: the repository's, then the team's."""
    shared = samples_dir()
    paths = sorted(REPOSITORY_SAMPLES.glob("*.json"))
    paths += sorted(shared.glob("*.json")) if shared.is_dir() else []
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        # The team's samples name it for people ("Hotmart"), the repository's by its id.
        platform = str(doc.get("platform", path.stem)).lower()
        if platform not in PLATFORM_IDS or (only and platform not in only):
            continue
        content_type = doc.get("content_type") or "application/json"
        body = doc["body"]
        if isinstance(body, str):
            raw = body.encode()
        elif "json" in content_type:
            raw = json.dumps(body, ensure_ascii=False).encode()
        else:
            raw = urllib.parse.urlencode(body, doseq=True).encode()
        headers = {k.lower(): v for k, v in (doc.get("headers") or {}).items()}
        headers["content-type"] = content_type
        name = f"platforms/samples/{path.name}" if path.parent == REPOSITORY_SAMPLES else path.name
        yield Payload(name, platform, content_type, headers, raw)


def config_state(platform: str, event: str | None) -> ConfigState:
    """An integration of ``platform`` with its preset mapping; with ``event``, a
    conversion event of :data:`ACTIONS` on it."""
    return worker_cpu.config_state(platform, get_platform(platform).preset.mapping, event, ACTIONS)


def envelope(payload: Payload) -> bytes:
    return WEBHOOKS.encode(
        WebhookEnvelope(
            request_id=uuid.uuid4().hex,
            integration_id=INTEGRATION,
            account_id=ACCOUNT,
            received_at=utcnow(),
            content_type=payload.content_type,
            headers=payload.headers,
            body=payload.body,
            delivery_id="bench",
        )
    )


def webhook_stage(value: bytes, state: ConfigState, count: int) -> None:
    """The webhook agent's work on ``value`` (``bench/worker_cpu.py``'s), ``count``
    times, the phone normalised anew each time (no memo: the body is the same)."""
    for _ in range(count):
        forget_phones()
        worker_cpu.webhook_stage([value], state)


def prepared(payload: Payload) -> tuple[bytes, ConfigState, str]:
    """The payload's envelope; its platform's config with a conversion event on the event
    the preset maps from this body; the status its webhook then gets."""
    value = envelope(payload)
    mapped = process_envelope(WEBHOOKS.decode(value), config_state(payload.platform, None))
    state = config_state(payload.platform, mapped.history.event)
    return value, state, process_envelope(WEBHOOKS.decode(value), state).history.status


def bare_work(payload: Payload, count: int) -> None:
    """Parse the body and write it again, ``count`` times."""
    text = payload.body.decode("utf-8", errors="replace")
    for _ in range(count):
        if "json" in payload.content_type:
            json.dumps(json.loads(text))
        else:
            urllib.parse.parse_qs(text)


def cpu_us(count: int, work: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """CPU µs per webhook of ``work(*args, count)``, and what it answered."""
    started = time.process_time()
    answer = work(*args, count)
    return (time.process_time() - started) * 1e6 / count, answer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--webhooks", type=int, default=500, help="per platform and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--platform", action="append", default=[], help="only this platform (repeatable)"
    )
    args = parser.parse_args()
    print(
        f"webhook stage per webhook, in process: median (min-max) over {args.rounds} rounds"
        f" of {args.webhooks}; bare = parse and write the body again",
        flush=True,
    )
    print(f"{'sample':58} {'bytes':>6} {'status':>9} {'µs':>7} {'range':>13} {'bare':>6} ratio")
    totals: list[float] = []
    for payload in payloads(args.platform):
        value, state, status = prepared(payload)
        webhook_stage(value, state, 50)  # warm-up
        stage, bare = [], []
        for _ in range(args.rounds):
            stage.append(cpu_us(args.webhooks, webhook_stage, value, state)[0])
            bare.append(cpu_us(args.webhooks, bare_work, payload)[0])
        median, bare_median = statistics.median(stage), statistics.median(bare)
        totals.append(median)
        print(
            f"{payload.name[:58]:58} {len(payload.body):6} {status:>9} {median:7.1f}"
            f" {f'({min(stage):.0f}-{max(stage):.0f})':>13} {bare_median:6.1f}"
            f" {median / bare_median:5.1f}x",
            flush=True,
        )
    if totals:
        print(f"all samples: median {statistics.median(totals):.1f} µs, sum {sum(totals):.0f} µs")


if __name__ == "__main__":
    main()
