"""Drive N webhooks through ``hookline dev`` and print throughput and latency.

    python bench/e2e.py --webhooks 5000 --concurrency 32
    python bench/e2e.py --webhooks 10000 --backlog --workers 2
    python bench/e2e.py --webhooks 10000 --backlog --workers 2 --leads 1000  # repeat leads
    python bench/e2e.py --webhooks 10000 --backlog --workers 2 --rounds 5  # median of 5
    python bench/e2e.py --webhooks 3000 --rate 100 --unmatched 0.5  # half match nothing

Figures:
- accepted/s: webhooks answered 200 by the gateway (each durably in Kafka);
- processed/s: webhooks whose three actions were applied by the executors, from the
  first received to the last applied (with ``--backlog``: the workers are paused while
  every webhook is accepted, then timed from the first webhook done to the last, the
  way the plain loop is timed: their own rate, the gateway not sharing the cores);
- end-to-end latency: gateway receive -> last action applied (from ClickHouse);
- baselines in the same run, on the same broker: the raw aiokafka produce rate
  (acks=all), beside the gateway's accepted/s; and a plain two-stage aiokafka loop
  (``bench/baseline_loop.py``: webhook -> 3 commands + history, commands -> results, no
  framework, no state, no crash-safety) beside the worker's processed/s.

With ``--rounds N`` the whole run (a new ``hookline dev``, its baselines in the same
round) is repeated N times and the key figures are summed up as median (min-max) and
each round's value: the plain loop's own rate moves by ±7% from one round to the next,
as much as the ratio's distance to its target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.baseline_loop import plain_two_stage
from bench.loadgen import Connection
from bench.procs import cpu_seconds
from bench.samples import samples_dir
from bench.workdir import add_keep_data, work_dir
from hookline.embedded.devprocess import DevServer, query_clickhouse

#: What the benchmark integration maps (configure()), for the plain loop.
PLAIN_MAPPING = {
    "event": "event",
    "name": "data.buyer.name",
    "phone": "data.buyer.checkout_phone",
}

SAMPLE = samples_dir() / "hotmart__PURCHASE_CANCELED.json"


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def configure(session: aiohttp.ClientSession, server: DevServer) -> tuple[str, str]:
    async def call(path: str, body: dict, key: str, method: str = "POST") -> dict:
        async with session.request(
            method, server.base + path, json=body, headers={"Authorization": f"Bearer {key}"}
        ) as r:
            assert r.status in (200, 201), await r.text()
            return await r.json()

    account = await call("/api/accounts", {"name": "bench", "plan": "elite"}, server.admin_token)
    key = account["api_key"]
    integration = await call("/api/integrations", {"name": "bench", "platform": "hotmart"}, key)
    iid = integration["id"]
    # The default per-integration limit (50/s) would turn the benchmark into 429s.
    await call(
        f"/api/integrations/{iid}",
        {"rate_limit": {"per_second": 100_000, "burst": 100_000}},
        key,
        "PATCH",
    )
    await call(
        f"/api/integrations/{iid}/mapping",
        {
            "event": "event",
            "name": "data.buyer.name",
            "phone": "data.buyer.checkout_phone",
            "fields": {"product": "data.product.name"},
        },
        key,
        "PUT",
    )
    await call("/api/custom-fields", {"name": "produto", "description": ""}, key)
    event = await call(
        f"/api/integrations/{iid}/events",
        {"name": "cancel", "identification": "PURCHASE_CANCELED"},
        key,
    )
    actions = f"/api/integrations/{iid}/events/{event['id']}/actions"
    await call(actions, {"type": "add_tag", "tag": "cancelou"}, key)
    await call(
        actions, {"type": "update_field", "field": "produto", "value": "{{fields.product}}"}, key
    )
    await call(actions, {"type": "send_message", "text": "Oi {{name}}"}, key)
    return iid, integration["url"]


#: An event of the sample's platform that configure() gives no conversion event.
UNMATCHED_EVENT = "PURCHASE_PROTEST"


def unmatched(index: int, fraction: float) -> bool:
    """Whether webhook ``index`` is one of the ``fraction`` no conversion event matches
    (spread evenly: 0.5 is every other one)."""
    return int((index + 1) * fraction) > int(index * fraction)


def bodies(
    count: int, leads: int | None = None, unmatched_fraction: float = 0.0, start: int = 0
) -> list[bytes]:
    """The sample's body, a distinct id each; a distinct phone each, or (``leads``) the
    same ``leads`` phones in turn: repeat leads, which remember the commands applied to
    them (up to 500) and write all of it with every change. ``unmatched_fraction`` of
    them carry an event nothing matches: no action, as a platform's other events.
    ``start`` numbers them from there (another batch of distinct ids)."""
    template = json.loads(SAMPLE.read_text())["body"]
    event = template["event"]
    out = []
    for i in range(start, start + count):
        template["event"] = UNMATCHED_EVENT if unmatched(i, unmatched_fraction) else event
        template["id"] = f"bench-{i}"
        lead = i % leads if leads else i
        template["data"]["buyer"]["checkout_phone"] = f"119{lead % 100_000_000:08d}"
        out.append(json.dumps(template).encode())
    return out


async def drive(
    url: str,
    payloads: list[bytes],
    concurrency: int,
    rate: float | None = None,
    client: str = "raw",
) -> tuple[float, list[float]]:
    """Send every payload; with ``rate``, request i starts no earlier than i/rate s in.
    ``client``: ``raw`` (bench/loadgen.py, a connection per concurrent request) or
    ``aiohttp`` (its client session, as a platform would send)."""
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for item in enumerate(payloads):
        queue.put_nowait(item)
    latencies: list[float] = []
    done = 0
    step = max(1, len(payloads) // 10)

    async def send(post: Callable[[bytes], Awaitable[tuple[int, bytes]]]) -> None:
        nonlocal done
        while not queue.empty():
            index, body = queue.get_nowait()
            if rate:
                await asyncio.sleep(max(0.0, t0 + index / rate - time.perf_counter()))
            started = time.perf_counter()
            status, answer = await post(body)
            assert status == 200, (status, answer)
            latencies.append(time.perf_counter() - started)
            done += 1
            if done % step == 0:
                print(f"  sent {done}/{len(payloads)}", file=sys.stderr, flush=True)

    if client == "raw":
        opened = [await Connection.open(url) for _ in range(concurrency)]
        try:
            t0 = time.perf_counter()
            await asyncio.gather(*(send(connection.post) for connection in opened))
            return time.perf_counter() - t0, latencies
        finally:
            for connection in opened:
                connection.close()

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def aiohttp_post(body: bytes) -> tuple[int, bytes]:
            async with session.post(
                url, data=body, headers={"Content-Type": "application/json"}
            ) as r:
                return r.status, await r.read()

        t0 = time.perf_counter()
        await asyncio.gather(*(send(aiohttp_post) for _ in range(concurrency)))
        return time.perf_counter() - t0, latencies


async def raw_produce_rate(bootstrap: str, payloads: list[bytes], concurrency: int) -> float:
    from core.kafka import new_producer

    producer = new_producer(bootstrap)
    await producer.start()
    try:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(body: bytes) -> None:
            async with semaphore:
                await producer.send_and_wait("bench.baseline", key=b"k", value=body)

        started = time.perf_counter()
        await asyncio.gather(*(one(p) for p in payloads))
        return len(payloads) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def partition_count(bootstrap: str, topic: str) -> int:
    from core.kafka import new_producer

    producer = new_producer(bootstrap)
    await producer.start()
    try:
        return len(await producer.partitions_for(topic))
    finally:
        await producer.stop()


def applied_webhooks(data: Path, integration_id: str) -> list[dict]:
    """From ``hookline dev``'s ClickHouse in ``data`` (after it stopped): each webhook of
    the integration whose commands were applied, as ``received`` (gateway) and
    ``applied`` (its last command) epoch seconds, in the order received."""
    return query_clickhouse(
        data,
        "SELECT toFloat64(w.received_at) AS received, toFloat64(max(c.applied_at)) AS applied"
        " FROM hookline.webhooks AS w FINAL INNER JOIN hookline.commands AS c FINAL"
        " ON c.request_id = w.request_id"
        f" WHERE w.integration_id = '{integration_id}' AND c.status = 'applied'"
        " GROUP BY w.request_id, w.received_at ORDER BY received",
    )


async def wait_processed(
    session: aiohttp.ClientSession, server: DevServer, count: int, timeout: float
) -> None:
    """Poll the dev server's Prometheus metrics until every command result is stored,
    and then until no more rows come (rows count, not commands: a command settled twice,
    as after the rebalance when paused workers resume, is a second row, so the count
    can reach ``count`` with results still on their way)."""
    deadline = time.monotonic() + timeout
    last = -1.0
    while time.monotonic() < deadline:
        async with session.get(server.base + "/metrics") as r:
            text = await r.text()
        stored = sum(
            float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith('hookline_history_rows_total{table="commands"}')
        )
        print(f"  command results stored: {int(stored)}/{count}", file=sys.stderr, flush=True)
        if stored >= count and stored == last:
            return
        last = stored
        await asyncio.sleep(1)
    raise TimeoutError(f"only part of {count} commands processed in {timeout} s")


async def main() -> None:
    args = parse_args()
    rounds: list[dict[str, float]] = []
    failed = 0
    for round_ in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"\n## round {round_}/{args.rounds}", flush=True)
        with work_dir("hookline-bench-", args.keep_data) as data:
            try:
                rounds.append(await run(args, data))
            except Exception as exc:
                if args.rounds == 1:
                    raise
                # Reported (its traceback on stderr) and counted; the other rounds go on.
                failed += 1
                traceback.print_exc()
                print(f"round {round_} failed: {type(exc).__name__}: {exc}", flush=True)
    if args.rounds > 1:
        print_rounds(rounds, failed)


#: The figures summed up over rounds: (key, label, format).
ROUND_FIGURES = (
    ("processed", "processed/s", "{:,.0f}"),
    ("plain", "plain loop webhooks/s", "{:,.0f}"),
    ("ratio", "worker/plain ratio", "{:.3f}"),
    ("workers_us", "workers CPU us a webhook", "{:,.0f}"),
    ("e2e_p99_ms", "end-to-end p99 ms", "{:,.0f}"),
    ("client_us", "load generator CPU us a request", "{:,.0f}"),
)


def print_rounds(rounds: list[dict[str, float]], failed: int) -> None:
    print(f"\n## over {len(rounds)} rounds" + (f" ({failed} failed)" if failed else ""))
    if not rounds:
        return
    for key, label, form in ROUND_FIGURES:
        values = [r[key] for r in rounds]
        each = ", ".join(form.format(v) for v in values)
        median, low, high = (
            form.format(v) for v in (statistics.median(values), min(values), max(values))
        )
        print(f"{label + ':':26} median {median}  ({low}-{high})  rounds: {each}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webhooks", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="pace requests at this many per second (below capacity: latency without backlog)",
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="pause the workers (SIGSTOP) while every webhook is accepted, then let them"
        " work the backlog off: processed/s is then the workers' own rate (first to last"
        " command applied), measured the way the plain loop is, without the gateway"
        " sharing the cores",
    )
    parser.add_argument("--workers", type=int, default=None, help="HOOKLINE_DEV_WORKERS")
    parser.add_argument(
        "--client",
        choices=("raw", "aiohttp"),
        default="raw",
        help="load generator: raw (bench/loadgen.py, the cheapest: it shares the cores with"
        " the pipeline) or aiohttp's client session",
    )
    parser.add_argument(
        "--leads",
        type=int,
        default=None,
        help="send to this many leads in turn (default: a new lead per webhook)",
    )
    parser.add_argument(
        "--unmatched",
        type=float,
        default=0.0,
        help="this fraction of the webhooks (0-1) carry an event no conversion event"
        " matches, as a platform's other events do (latency and processed/s count the"
        " matched ones)",
    )
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the whole run; sum up the rounds"
    )
    add_keep_data(parser)
    args = parser.parse_args()
    if not 0 <= args.unmatched < 1:
        parser.error("--unmatched is a fraction from 0 up to (not including) 1")
    return args


async def run(args: argparse.Namespace, data: Path) -> dict[str, float]:
    """One round: print its figures and return those :data:`ROUND_FIGURES` sums up."""
    if args.workers is not None:
        os.environ["HOOKLINE_DEV_WORKERS"] = str(args.workers)
    # No broker recycle unless asked for: one mid-run pauses the pipeline for seconds
    # and replaces the broker whose processes' CPU is counted (bench/soak.py measures
    # recycles). The baselines run on the broker the run ended on.
    os.environ.setdefault("HOOKLINE_BROKER_RECYCLE_MB", "0")
    server = DevServer(data)
    print(f"starting hookline dev in {data} ...", file=sys.stderr)
    server.start()
    try:
        async with aiohttp.ClientSession() as session:
            integration_id, url = await configure(session, server)
            payloads = bodies(args.webhooks, args.leads, args.unmatched)
            matched = sum(not unmatched(i, args.unmatched) for i in range(args.webhooks))
            print(
                f"driving {args.webhooks} webhooks at concurrency {args.concurrency}",
                file=sys.stderr,
            )
            children = server.children()
            workers = [pid for name, pid in children.items() if name != "broker"]
            assert server.process is not None
            processes = {**children, "front": server.process.pid}
            if args.backlog:
                for pid in workers:
                    os.kill(pid, signal.SIGSTOP)
            cpu_before = cpu_by_process(processes)
            client_cpu = time.process_time()
            elapsed, latencies = await drive(
                url, payloads, args.concurrency, args.rate, args.client
            )
            client_cpu = time.process_time() - client_cpu
            if args.backlog:
                print(f"resuming {len(workers)} workers on the backlog", file=sys.stderr)
                for pid in workers:
                    os.kill(pid, signal.SIGCONT)
                cpu_before = cpu_by_process(processes)
            await wait_processed(session, server, 3 * matched, args.timeout)
            cpu_used = {
                name: seconds - cpu_before[name]
                for name, seconds in cpu_by_process(processes).items()
            }
        # The broker it runs on now (a recycle, if asked for, starts another).
        brokers = [line for line in server.output if line.startswith("hookline dev: broker ")]
        bootstrap = brokers[-1].split()[-1]
        print("measuring the raw produce baseline ...", file=sys.stderr)
        baseline = await raw_produce_rate(bootstrap, payloads, args.concurrency)
        print("measuring the plain two-stage loop ...", file=sys.stderr)
        # On as many partitions as the pipeline's webhooks topic: the embedded broker's
        # cost is per record batch, so the count weighs on both alike.
        partitions = await partition_count(bootstrap, "hookline.webhooks")
        broker_cpu, loop_cpu = cpu_seconds(processes["broker"]), time.process_time()
        plain = await plain_two_stage(bootstrap, payloads, PLAIN_MAPPING, partitions)
        plain_cpu = {
            "loop": time.process_time() - loop_cpu,
            "broker": cpu_seconds(processes["broker"]) - broker_cpu,
        }
    finally:
        server.stop()

    rows = applied_webhooks(data, integration_id)
    e2e = [r["applied"] - r["received"] for r in rows]
    # Backlog: from the first webhook done to the last (the workers were paused while
    # the webhooks arrived, and rejoin their group when resumed), as the plain loop is.
    start = min(r["applied"] if args.backlog else r["received"] for r in rows)
    span = max(r["applied"] for r in rows) - start
    accepted_rate = args.webhooks / elapsed
    pace = f", paced at {args.rate:g}/s" if args.rate else ", unpaced"
    pace += ", worked off as a backlog" if args.backlog else ""
    pace += f", {args.leads} leads in turn" if args.leads else ""
    pace += f", {args.webhooks - matched} of them unmatched" if args.unmatched else ""
    print(f"webhooks:            {args.webhooks} (concurrency {args.concurrency}{pace})")
    print(f"accepted/s:          {accepted_rate:,.0f}")
    print(
        f"load generator:      {client_cpu * 1e6 / args.webhooks:,.0f} us CPU a request"
        f" ({args.client} client, this process)"
    )
    print(
        f"accept latency:      p50 {percentile(latencies, 0.5) * 1000:.1f} ms"
        f"  p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(
        f"processed/s:         {len(rows) / span:,.0f}  ({len(rows)} webhooks, 3 actions each"
        + (", the unmatched ones not counted)" if args.unmatched else ")")
    )
    print(
        f"end-to-end latency:  p50 {statistics.median(e2e) * 1000:.0f} ms"
        f"  p99 {percentile(e2e, 0.99) * 1000:.0f} ms"
    )
    print(
        f"baseline raw produce/s (acks=all, same broker): {baseline:,.0f}"
        f"  -> gateway/raw ratio {accepted_rate / baseline:.2f}"
    )
    processed_rate = len(rows) / span
    print(
        f"baseline plain two-stage aiokafka loop (same broker, {partitions} partitions a"
        f" topic like the pipeline's): {plain:,.0f} webhooks/s"
        f"  -> worker/plain ratio {processed_rate / plain:.2f}"
    )
    # CPU per webhook (user + system), from the resume (without --backlog: the first
    # request) to the last command stored: a figure that moves less than rates on a shared machine.
    # The front process holds the gateway (idle with --backlog) and the history sink.
    per_webhook = {
        name: f"{seconds * 1e6 / args.webhooks:,.0f}" for name, seconds in cpu_used.items()
    }
    workers_us = sum(s for n, s in cpu_used.items() if n.startswith("worker")) * 1e6
    print(f"CPU us per webhook:  workers {workers_us / args.webhooks:,.0f} ({per_webhook})")
    print(
        "plain loop CPU us per webhook: "
        + ", ".join(f"{n} {s * 1e6 / args.webhooks:,.0f}" for n, s in plain_cpu.items())
    )
    return {
        "processed": processed_rate,
        "plain": plain,
        "ratio": processed_rate / plain,
        "workers_us": workers_us / args.webhooks,
        "e2e_p99_ms": percentile(e2e, 0.99) * 1000,
        "client_us": client_cpu * 1e6 / args.webhooks,
    }


if __name__ == "__main__":
    asyncio.run(main())
