"""Soak: a long, paced run through ``hookline dev``; does it stay fast and bounded?

    python bench/soak.py --webhooks 100000

Drives webhooks (three actions each, as ``bench/e2e.py`` configures) as fast as the
gateway takes them (or at ``--rate`` per second), so the worker runs at its capacity
throughout, and every ``--every`` seconds prints, for the last window: webhooks sent,
commands stored in ClickHouse (from /metrics), processed/s, and the resident memory and
CPU (% of a core over the window) of every process of ``hookline dev`` (broker,
workers, front). At the end: the processed/s of the first and last fifth of the run and
of the whole run, exact, from ClickHouse (each command counted once, at the time it was
first applied: the windows' figures count commands run again after a broker recycle
twice), and each process's memory growth.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e2e import bodies, configure
from bench.procs import cpu_seconds, rss_mb
from bench.workdir import add_keep_data, work_dir
from hookline.embedded.devprocess import DevServer, child_processes, query_clickhouse


def applied_per_second(data: Path) -> list[int]:
    """Commands first applied in each second of the run, from its first to its last."""
    rows = query_clickhouse(
        data,
        "SELECT toUInt32(first) AS second, count() AS n FROM (SELECT command_id,"
        " min(applied_at) AS first FROM hookline.commands FINAL WHERE status = 'applied'"
        " GROUP BY command_id) GROUP BY second ORDER BY second",
    )
    counts = {int(r["second"]): int(r["n"]) for r in rows}
    return [counts.get(t, 0) for t in range(min(counts), max(counts) + 1)]


def fifths(per_second: list[int]) -> tuple[float, float]:
    """Webhooks processed per second (three commands each) in the first and last fifth."""
    size = max(1, len(per_second) // 5)
    return sum(per_second[:size]) / 3 / size, sum(per_second[-size:]) / 3 / size


def answer_times(answered: list[tuple[float, float]]) -> str:
    """How long platforms waited for a 200 (from the first try, retries included), and
    the longest stretch in which no webhook was answered (a broker recycle's pause)."""
    waits = sorted(end - start for start, end in answered)
    ends = sorted(end for _, end in answered)
    pause = max((b - a for a, b in itertools.pairwise(ends)), default=0.0)
    quantile = statistics.quantiles(waits, n=1000)
    return (
        f"time to 200: p50 {1000 * quantile[499]:,.0f} ms, p99 {1000 * quantile[989]:,.0f}"
        f" ms, p99.9 {1000 * quantile[998]:,.0f} ms, max {1000 * waits[-1]:,.0f} ms;"
        f" longest stretch with no 200 {pause:.2f} s"
    )


def say(message: str) -> None:
    print(message, flush=True)


def processes(dev_pid: int) -> dict[int, str]:
    """``hookline dev`` and its children: pid -> role (front, broker, worker, ...)."""
    roles = {dev_pid: "front"}  # hookline dev serves the gateway and the API itself
    for pid, argv in child_processes(dev_pid).items():
        text = " ".join(argv)
        roles[pid] = next((r for r in ("tansu", "worker", "sink") if r in text), argv[0])
        roles[pid] = roles[pid].replace("tansu", "broker")
    return roles


async def progress(session: aiohttp.ClientSession, server: DevServer) -> tuple[int, float]:
    """(command results stored since hookline dev started, the worker group's lag)."""
    async with session.get(server.base + "/metrics") as r:
        text = await r.text()
    stored = lag = 0.0
    for line in text.splitlines():
        if line.startswith('hookline_history_rows_total{table="commands"}'):
            stored += float(line.split()[-1])
        elif line.startswith('hookline_consumer_lag{group="hookline-worker"'):
            lag += float(line.split()[-1])
    return int(stored), lag


async def main() -> None:
    args = parse_args()
    with work_dir("hookline-soak-", args.keep_data) as data:
        await run(args, data)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--webhooks", type=int, default=100_000)
    parser.add_argument(
        "--rate", type=float, default=0, help="webhooks per second sent (0: unpaced)"
    )
    parser.add_argument("--every", type=float, default=30, help="seconds per report line")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--leads",
        type=int,
        default=None,
        help="send to this many leads in turn, as platforms do (a buyer's purchase, then "
        "its refund, ...): each lead's state grows with what was applied to it (up to "
        "500 outcomes) and is written again with every change (default: a new lead per "
        "webhook)",
    )
    add_keep_data(parser)
    return parser.parse_args()


async def run(args: argparse.Namespace, data: Path) -> None:
    server = DevServer(data)
    server.start()
    sent = 0
    rows: list[tuple[float, int, int, dict[str, float]]] = []
    answered: list[tuple[float, float]] = []  # (sent, answered 200) of every webhook
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.concurrency)
        ) as session:
            _, url = await configure(session, server)
            payloads = bodies(args.webhooks, args.leads)
            assert server.process is not None
            say(f"hookline dev pid {server.process.pid}, data {data}")
            say(
                f"{'s':>6}{'sent':>9}{'commands':>10}{'processed/s':>13}"
                "  RSS MB and CPU % by process"
            )
            started = time.perf_counter()

            refused = 0

            async def send(body: bytes) -> None:
                """Until answered 200, as platforms retry (after a refusal or a broken
                connection), keeping when it was first sent and when answered."""
                nonlocal refused
                sent_at = time.perf_counter()
                while True:
                    try:
                        async with session.post(
                            url, data=body, headers={"Content-Type": "application/json"}
                        ) as r:
                            await r.read()
                            if r.status == 200:
                                answered.append((sent_at, time.perf_counter()))
                                return
                    except aiohttp.ClientError:
                        pass
                    refused += 1
                    await asyncio.sleep(1)

            async def report() -> None:
                previous = (0.0, 0)
                # The metrics restart with hookline dev when it recycles its broker: the
                # counts before are kept here. Commands it runs again after a recycle
                # count twice, so the run ends when the worker has no lag and nothing
                # more is stored; ClickHouse has the exact figure at the end.
                offset, last_raw = 0, 0
                previous_count, quiet = [-1], [0]
                # pid -> CPU seconds at the last window (a process started since counts
                # from its start: a recycle's new broker and workers).
                cpu_then = {pid: cpu_seconds(pid) for pid in processes(server.process.pid)}
                while True:
                    await asyncio.sleep(args.every)
                    now = time.perf_counter() - started
                    try:
                        raw, lag = await progress(session, server)
                    except aiohttp.ClientError:  # recycling its broker: next window
                        say(f"{now:>6.0f}{sent:>9}  (not answering: recycling its broker?)")
                        continue
                    offset += last_raw if raw < last_raw else 0
                    last_raw = raw
                    commands = offset + raw
                    memory: dict[str, float] = {}
                    cpu: dict[str, float] = {}
                    for pid, name in processes(server.process.pid).items():
                        memory[name] = memory.get(name, 0.0) + rss_mb(pid)
                        used = cpu_seconds(pid)
                        cpu[name] = cpu.get(name, 0.0) + used - cpu_then.get(pid, 0.0)
                        cpu_then[pid] = used
                    rate = (commands - previous[1]) / 3 / (now - previous[0])
                    window = now - previous[0]
                    previous = (now, commands)
                    rows.append((now, sent, commands, memory))
                    shown = "  ".join(
                        f"{k} {v:,.0f} {100 * cpu[k] / window:.0f}%"
                        for k, v in sorted(memory.items())
                    )
                    say(f"{now:>6.0f}{sent:>9}{commands:>10}{rate:>13.0f}  {shown}")
                    # Done: everything sent, the worker caught up, nothing stored since,
                    # twice in a row (a recycle's restart shows no lag for a moment).
                    idle = sent == args.webhooks and lag == 0 and commands == previous_count[0]
                    quiet[0] = quiet[0] + 1 if idle else 0
                    if quiet[0] >= 2:
                        return
                    previous_count[0] = commands

            reporter = asyncio.create_task(report())
            in_flight: set[asyncio.Task[None]] = set()
            for index, body in enumerate(payloads):
                if args.rate:
                    await asyncio.sleep(max(0, started + index / args.rate - time.perf_counter()))
                while len(in_flight) >= args.concurrency:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                task = asyncio.create_task(send(body))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                sent += 1
            await asyncio.gather(*in_flight)
            await reporter
    finally:
        server.stop()

    (applied,) = query_clickhouse(
        data,
        "SELECT count(DISTINCT command_id) AS n FROM hookline.commands FINAL"
        " WHERE status = 'applied'",
    )
    say(f"commands applied (distinct, in ClickHouse): {applied['n']} of {3 * args.webhooks}")
    recycles = (data / "dev.log").read_text().count("outgrew its memory limit")
    say(f"requests refused and sent again: {refused}; broker recycles: {recycles}")
    say(answer_times(answered))
    per_second = applied_per_second(data)
    first, last = fifths(per_second)
    say(
        f"processed/s, first fifth {first:,.0f}, last fifth {last:,.0f} ({last / first:.2f}x);"
        f" whole run {sum(per_second) / 3 / len(per_second):,.0f}"
    )
    # Bounded or growing: memory half-way through the sending beside the end (a store
    # that grows with leads grows as much in the second half as in the first).
    halfway = next(row for row in rows if row[1] >= args.webhooks / 2)
    for name in sorted(rows[0][3]):
        start, half, end = (row[3].get(name, 0.0) for row in (rows[0], halfway, rows[-1]))
        say(f"RSS {name}: {start:,.0f} -> {half:,.0f} (half sent) -> {end:,.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
