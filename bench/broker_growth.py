"""How the embedded broker's cost grows with the record batches it holds.

    python bench/broker_growth.py                        # held: 0, 10k, 30k, 60k batches
    python bench/broker_growth.py --held 0,20000,80000 --read 5000
    python bench/broker_growth.py --records-per-batch 50  # the same records, fewer batches

tansu 0.6.0's memory engine keeps each produced record batch as one object, and answers
a Fetch for a partition with new records by listing every batch object that partition
holds (``fn fetch`` in ``tansu-storage/src/dynostore.rs``, tag v0.6.0), whatever offset
is asked for. So a read costs the broker more the more batches the partition holds, and
a pipeline that writes small batches (a webhook at a time) slows its broker down as it
runs: what ``hookline dev``'s broker recycle (``HOOKLINE_BROKER_RECYCLE_MB``) bounds.

At each step of batches held in one topic of 8 partitions (``--partitions``; each
step's new batches are produced before it is measured), this prints, beside the first
step and the ratio:

- **read**: the broker's CPU per record while a consumer reads ``--read`` new records,
  each produced as its own batch (what a webhook at a time writes);
- **idle**: the broker's CPU (% of a core) while that consumer polls and finds nothing;
- **produce**: the broker's CPU per single-record produce request (acks=all).

``--records-per-batch N`` produces the held records in batches of N: with the same
records held in fewer batches the read cost stays near the first step's, which shows
that it is batches, not records or bytes, that the broker walks. ``--partitions 32``
spreads the same batches over more partitions: no cheaper (with 85,000 held, 126 µs a
record read against 84 at 8 partitions; the produce cost the same). At the end it asks
the broker to delete the records below each partition's end (DeleteRecords, how a topic
would be trimmed below what ClickHouse already has): tansu 0.6.0 closes the connection.
Apache Kafka finds a fetch offset through its segment index, so none of this applies
to it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.records_to_delete import RecordsToDelete

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import cpu_seconds
from bench.report import progress
from hookline.embedded.broker import EmbeddedBroker

TOPIC = "bench.growth"
#: The topic's partitions by default (``--partitions``), as hookline's topics have.
PARTITIONS = 8
VALUE = b"x" * 500  # about a command record
#: Produce requests in flight at once while filling (one record batch each).
IN_FLIGHT = 64


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--held",
        default="0,10000,30000,60000",
        help="comma-separated batches held in the topic at each step (ascending)",
    )
    parser.add_argument(
        "--partitions", type=int, default=PARTITIONS, help="partitions of the topic"
    )
    parser.add_argument("--read", type=int, default=5000, help="records read at each step")
    parser.add_argument("--idle-seconds", type=float, default=4.0, help="idle window")
    parser.add_argument(
        "--records-per-batch", type=int, default=1, help="records in each held batch"
    )
    args = parser.parse_args()
    args.held = sorted(int(n) for n in args.held.split(","))
    if args.records_per_batch < 1 or args.read < 1:
        parser.error("--records-per-batch and --read must be at least 1")
    return args


@dataclass
class Step:
    batches: int
    read_us: float
    idle_percent: float
    produce_us: float


class Bench:
    def __init__(self, broker_pid: int, producer: AIOKafkaProducer, partitions: int) -> None:
        self.pid = broker_pid
        self.producer = producer
        self.partitions = partitions
        self.sent = 0

    async def produce(self, batches: int, records_per_batch: int) -> None:
        """``batches`` record batches of ``records_per_batch`` records, round robin over
        the partitions, each acknowledged (acks=all)."""
        pending: set[asyncio.Future] = set()
        for _ in range(batches):
            batch = self.producer.create_batch()
            for _ in range(records_per_batch):
                if batch.append(key=None, value=VALUE, timestamp=None) is None:
                    raise ValueError(f"a batch holds fewer than {records_per_batch} records")
            batch.close()
            partition = self.sent % self.partitions
            self.sent += 1
            pending.add(await self.producer.send_batch(batch, TOPIC, partition=partition))
            if len(pending) >= IN_FLIGHT:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.gather(*pending)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


async def read_all(consumer: AIOKafkaConsumer, count: int) -> None:
    got = 0
    deadline = time.monotonic() + 120
    while got < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"read {got} of {count} records in 120 s")
        fetched = await consumer.getmany(timeout_ms=500)
        got += sum(len(records) for records in fetched.values())


async def measure(bench: Bench, consumer: AIOKafkaConsumer, args: argparse.Namespace) -> Step:
    # Single-record produce requests, then their reading: what a webhook at a time costs.
    cpu = bench.cpu()
    await bench.produce(args.read, 1)
    produce_us = (bench.cpu() - cpu) / args.read * 1e6
    cpu = bench.cpu()
    await read_all(consumer, args.read)
    read_us = (bench.cpu() - cpu) / args.read * 1e6
    # Caught up: every Fetch now finds nothing and waits its max wait.
    cpu, started = bench.cpu(), time.monotonic()
    while time.monotonic() - started < args.idle_seconds:
        if await consumer.getmany(timeout_ms=200):
            raise RuntimeError("records arrived during the idle window")
    idle = (bench.cpu() - cpu) / (time.monotonic() - started) * 100
    return Step(0, read_us, idle, produce_us)


async def try_delete_records(bootstrap: str, consumer: AIOKafkaConsumer) -> str:
    partitions = list(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        answer = await admin.delete_records({tp: RecordsToDelete(end) for tp, end in ends.items()})
        return f"answered: {answer}"
    except Exception as exc:  # what the broker does with it is the figure
        return f"refused: {type(exc).__name__}: {exc}"
    finally:
        await admin.close()


async def run(args: argparse.Namespace) -> list[Step]:
    broker = EmbeddedBroker()
    bootstrap = broker.start()
    try:
        assert broker.pid is not None
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(TOPIC, args.partitions, 1)])
        await admin.close()
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            linger_ms=0,
            max_batch_size=len(VALUE) * args.records_per_batch + 64 * 1024,
            max_request_size=len(VALUE) * args.records_per_batch + 1024 * 1024,
        )
        # The embedded profile's wait for a worker (streams/app.py).
        consumer = AIOKafkaConsumer(
            TOPIC, bootstrap_servers=bootstrap, fetch_max_wait_ms=25, auto_offset_reset="earliest"
        )
        await producer.start()
        await consumer.start()
        bench = Bench(broker.pid, producer, args.partitions)
        steps: list[Step] = []
        held = 0
        try:
            for target in args.held:
                if target > held:
                    progress(f"producing {target - held:,} batches to hold {target:,}")
                    await bench.produce(target - held, args.records_per_batch)
                    await read_all(consumer, (target - held) * args.records_per_batch)
                    held = target
                progress(f"measuring with {held:,} batches held")
                step = await measure(bench, consumer, args)
                # What it held while it read: the step's batches and the read's own.
                step.batches = held + args.read * len(steps)
                steps.append(step)
            progress("asking the broker to delete records (DeleteRecords)")
            print(f"DeleteRecords: {await try_delete_records(bootstrap, consumer)}")
        finally:
            await consumer.stop()
            await producer.stop()
    finally:
        broker.stop()
    return steps


def ratio(value: float, first: float) -> str:
    # CPU time is read in clock ticks (10 ms): a tiny run can measure 0.
    return f"{value / first:.2f}x" if first > 0 else "n/a"


def report(steps: list[Step], args: argparse.Namespace) -> None:
    first = steps[0]
    print(
        f"\nBroker CPU against batches held ({args.partitions} partitions, held batches of"
        f" {args.records_per_batch} record(s); reads and produces are single-record"
        " batches; first row is the baseline)\n"
    )
    print(
        "| batches held | per partition | read: us per record | x first |"
        " idle consumer: % of a core | x first | produce: us per request |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for s in steps:
        print(
            f"| {s.batches:,} | {s.batches // args.partitions:,} | {s.read_us:,.0f} |"
            f" {ratio(s.read_us, first.read_us)} | {s.idle_percent:.1f} |"
            f" {ratio(s.idle_percent, first.idle_percent)} | {s.produce_us:,.0f} |"
        )


def main() -> None:
    args = parse_args()
    steps = asyncio.run(run(args))
    report(steps, args)


if __name__ == "__main__":
    main()
