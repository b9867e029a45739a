"""What an idle ``hookline dev`` costs, and what the first webhook after a quiet spell
waits, with the embedded profile's idle fetch pace (``core/kafka_idle.py``) and
without it (``HOOKLINE_EMBEDDED_IDLE_FETCH_WAIT_MS=0``), in alternating runs.

    python bench/idle.py                       # 2 rounds, 15 s of idle CPU each
    python bench/idle.py --rounds 3 --seconds 30 --samples 5

Each run starts ``hookline dev``, configures an integration (three actions), sends one
webhook and waits for its commands, then leaves it alone: after a settling time
longer than the pace's quiet spell it measures each process's CPU for ``--seconds``,
then sends ``--samples`` webhooks one at a time, each after ``--gap`` seconds of quiet,
and reads their end-to-end latency (received -> last action applied) from ClickHouse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.e2e import applied_webhooks, bodies, configure, cpu_by_process, wait_processed
from bench.workdir import add_keep_data, work_dir
from core import kafka_idle
from hookline.embedded.devprocess import DevServer

OFF = "HOOKLINE_EMBEDDED_IDLE_FETCH_WAIT_MS"
MODES = {"paced": None, "unpaced": "0"}  # the env value of OFF for each


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each mode, alternating")
    parser.add_argument("--seconds", type=float, default=15.0, help="idle CPU window")
    parser.add_argument("--samples", type=int, default=3, help="webhooks after quiet spells")
    parser.add_argument(
        "--gap",
        type=float,
        default=kafka_idle.IDLE_AFTER_SECONDS + 2,
        help="quiet seconds before each sample webhook",
    )
    add_keep_data(parser)
    return parser.parse_args()


async def run(args: argparse.Namespace, mode: str, data: Path) -> tuple[dict[str, float], list]:
    """One run: each process's idle CPU (% of a core) and the samples' latencies (s)."""
    if MODES[mode] is None:
        os.environ.pop(OFF, None)
    else:
        os.environ[OFF] = MODES[mode]
    server = DevServer(data)
    print(f"[{mode}] starting hookline dev in {data} ...", file=sys.stderr, flush=True)
    server.start()
    payloads = iter(bodies(1 + args.samples))
    sent = 0
    try:
        async with aiohttp.ClientSession() as session:
            integration_id, url = await configure(session, server)

            async def send_one() -> None:
                nonlocal sent
                async with session.post(url, data=next(payloads)) as r:
                    assert r.status == 200, await r.text()
                sent += 1
                await wait_processed(session, server, 3 * sent, 120)

            await send_one()  # everything started and warm
            await asyncio.sleep(args.gap)
            processes = {**server.children(), "front": server.process.pid}  # type: ignore[union-attr]
            before, started = cpu_by_process(processes), time.monotonic()
            print(f"[{mode}] idle for {args.seconds:g} s ...", file=sys.stderr, flush=True)
            await asyncio.sleep(args.seconds)
            after, elapsed = cpu_by_process(processes), time.monotonic() - started
            idle = {name: 100 * (after[name] - before[name]) / elapsed for name in processes}
            for _ in range(args.samples):
                await asyncio.sleep(args.gap)
                await send_one()
    finally:
        server.stop()
    rows = applied_webhooks(data, integration_id)
    latencies = [r["applied"] - r["received"] for r in rows[1:]]  # not the warm-up
    return idle, latencies


def summary(idle: list[dict[str, float]], latencies: list[float]) -> str:
    total = [sum(each.values()) for each in idle]
    by_name = {name: [each[name] for each in idle] for name in idle[0]}
    parts = ", ".join(
        f"{name} {statistics.median(values):.1f}%" for name, values in sorted(by_name.items())
    )
    ms = sorted(1000 * s for s in latencies)
    return (
        f"idle CPU {statistics.median(total):.1f}% of a core (runs: "
        + ", ".join(f"{t:.1f}" for t in total)
        + f"; {parts}); first webhook after {len(ms)} quiet spells: median"
        f" {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms"
    )


async def main() -> None:
    args = parse_args()
    results: dict[str, tuple[list, list]] = {mode: ([], []) for mode in MODES}
    for round_ in range(1, args.rounds + 1):
        for mode in MODES:
            with work_dir(f"hookline-idle-{mode}-", args.keep_data) as data:
                idle, latencies = await run(args, mode, data)
            results[mode][0].append(idle)
            results[mode][1].extend(latencies)
            print(f"round {round_} {mode}: {summary([idle], latencies)}", flush=True)
    print()
    for mode, (idle, latencies) in results.items():
        print(f"{mode + ':':10} {summary(idle, latencies)}")
    paced = statistics.median(sum(i.values()) for i in results["paced"][0])
    unpaced = statistics.median(sum(i.values()) for i in results["unpaced"][0])
    print(f"idle CPU paced/unpaced: {paced / unpaced:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
