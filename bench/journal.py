"""What the embedded journal costs: journaled webhooks per second (concurrent
writers, grouped commits, 2 KB envelopes) beside the same number of acks=all
produces to the embedded broker in the same run, then how long ``hookline dev``'s
restore takes to publish them into an empty broker, and how much the restoring process
grows while it does.

    python bench/journal.py --records 20000 --concurrency 32
    python bench/journal.py --records 1000 --states 200000   # a worker state to restore too

``--states N`` first journals N worker state entries in two worker journals: half of
them leads (780 B each, about what the soak's new leads take), half dedup marks. The
restore publishes the leads again, as it does at a start after a ``kill -9`` when
ClickHouse has none of them (it leaves out those it has: ``bench/restore.py``; a clean
stop or a recycle leaves the word that ClickHouse has them all, and then it reads none);
the marks stay in the journals, where a worker reads them. Beside that, in the same run, the way
before: the marks published into the broker too, and a worker loading them from there;
then both read 20,000 of them, 500 at a time, as the webhook agent does.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workdir import work_dir
from core.journal import FRONT_FILE, Journal, latest_states, load_key, worker_file
from core.kafka import enqueue_records, ensure_topics, new_producer
from core.worker.store import PartitionStore
from hookline.embedded.broker import EmbeddedBroker
from hookline.embedded.dev import resident_mb
from hookline.embedded.restore import restore
from schemas.dedup import DedupMark
from schemas.topics import DEDUP, LEADS, WEBHOOKS
from schemas.types import utcnow


async def timed(count: int, concurrency: int, one) -> float:
    """Seconds to run ``one(i)`` for every i, ``concurrency`` at a time."""
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with semaphore:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(count)))
    return time.perf_counter() - started


async def journal_states(workers: list[Journal], count: int) -> None:
    """``count`` state entries over ``workers``: half leads, half dedup marks."""
    for index, journal in enumerate(workers):
        journal.open_for_writing()
        try:
            share = range(index, count // 2, len(workers))
            for start in range(0, len(share), 1000):
                rows = share[start : start + 1000]
                await journal.put_states(
                    LEADS.name,
                    [(n % 8, f"acc_1:+55{n:011d}", b"L" * 780) for n in rows],
                    1000,
                )
                await journal.put_states(
                    DEDUP.name,
                    [(n % 8, f"int_1:d{n}", DEDUP.encode(mark(n))) for n in rows],
                    1000,
                )
        finally:
            journal.close()


def mark(n: int) -> DedupMark:
    return DedupMark(request_id=f"{n:032x}", received_at=utcnow())


#: Keys an agent's batch reads at once (its largest batch).
BATCH_KEYS = 500


async def start_and_read(
    store: PartitionStore[DedupMark], producer: AIOKafkaProducer, keys: list[tuple[int, str]]
) -> tuple[float, float]:
    """Seconds for ``store`` to be ready on every dedup partition (a worker owning them
    all), then µs per key to read ``keys`` in batches, as the webhook agent does."""
    await store.start(producer)
    try:
        started = time.perf_counter()
        for partition in range(DEDUP.partitions):
            await store.load(partition)
        ready = time.perf_counter() - started
        started = time.perf_counter()
        found = 0
        for start in range(0, len(keys), BATCH_KEYS):
            found += len(await store.read(keys[start : start + BATCH_KEYS]))
        assert found == len(keys), f"{found} of {len(keys)} marks read"
        return ready, (time.perf_counter() - started) / len(keys) * 1e6
    finally:
        await store.stop()


async def marks_both_ways(
    workers: list[Journal], bootstrap: str, producer: AIOKafkaProducer, broker_pid: int
) -> None:
    """The dedup marks as a worker finds them now (read in the worker journals) and
    before (published into the broker by the restore, then loaded from there), in this
    run: what a start costs, and what a read costs after it."""
    started = time.perf_counter()
    marks = list(latest_states(workers, leave_out={LEADS.name}))
    merged = time.perf_counter() - started  # what the restore read before it published
    keys = [(e.partition, e.key) for e in random.sample(marks, min(len(marks), 20_000))]
    mirror = workers[0].open_for_writing()  # a journal-backed store writes its own
    try:
        journals = PartitionStore(DEDUP, WEBHOOKS, bootstrap, mirror, journals=lambda: workers)
        now_ready, now_read = await start_and_read(journals, producer, keys)
    finally:
        mirror.close()
    size = resident_mb(broker_pid)
    started = time.perf_counter()
    acknowledgements: list[asyncio.Future[Any]] = []
    for (_, partition), entries in itertools.groupby(marks, lambda e: (e.topic, e.partition)):
        records = [(e.key.encode(), e.value, e.timestamp_ms) for e in entries]
        acknowledgements += await enqueue_records(producer, DEDUP.name, partition, records)
    await asyncio.gather(*acknowledgements)
    published = time.perf_counter() - started + merged
    grown = resident_mb(broker_pid) - size
    topic = PartitionStore(DEDUP, WEBHOOKS, bootstrap)
    before_ready, before_read = await start_and_read(topic, producer, keys)
    print(f"{len(marks):,} dedup marks, as a worker starting on them finds them:")
    print(
        f"  before (same run): published by the restore in {published:.2f} s (the broker"
        f" grew {grown:,.0f} MB), loaded from the broker in {before_ready:.2f} s;"
        f" then {before_read:.1f} us a key read"
    )
    print(
        f"  now: published never, ready in {now_ready:.3f} s (read in the worker journals);"
        f" then {now_read:.1f} us a key read ({now_read / before_read:.1f}x)"
    )


def pages_read(journal: Journal, records: int, page: int = 2000) -> None:
    """The journal pruner's read of every entry, a page at a time, beside reading the
    entries whole (the restore's read: envelopes decrypted); CPU, best of 3."""

    def per_entry(read) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for after in range(0, records, page):
                read(page, None, after)  # seqs run 1..records in a fresh journal
            best = min(best, time.process_time() - started)
        return best / records * 1e6

    pruner, whole = per_entry(journal.journaled_webhooks), per_entry(journal.accepted)
    print(
        f"pruner's page read:        {pruner:,.1f} us an entry  (entries read whole:"
        f" {whole:,.1f} us, same run; {pruner / whole:.2f}x)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--states", type=int, default=0, help="worker state entries")
    args = parser.parse_args()
    body = os.urandom(1024).hex().encode()  # 2 KB, incompressible

    broker = EmbeddedBroker()
    with work_dir("bench-journal-", keep=False) as directory, broker as bootstrap:
        key = load_key(directory)
        journal = Journal(directory / FRONT_FILE, key).open_for_writing()
        await ensure_topics(bootstrap, [WEBHOOKS, LEADS, DEDUP])
        producer = new_producer(bootstrap)
        await producer.start()
        try:

            async def journal_one(i: int) -> None:
                await journal.record_accepted(
                    WEBHOOKS.name,
                    b"int_1",
                    body,
                    request_id=f"r{i}",
                    account_id="acc_1",
                    integration_id="int_1",
                )

            async def produce_one(i: int) -> None:
                await producer.send_and_wait(WEBHOOKS.name, key=b"int_1", value=body)

            print(f"{args.records} records of {len(body)} B, concurrency {args.concurrency}")
            journal_s = await timed(args.records, args.concurrency, journal_one)
            produce_s = await timed(args.records, args.concurrency, produce_one)
            print(f"journal appends/s:         {args.records / journal_s:,.0f}")
            print(
                f"baseline produces/s:       {args.records / produce_s:,.0f}  (acks=all, same run)"
            )
            print(
                f"journal cost per webhook:  {journal_s / args.records * 1e6:,.0f} us"
                f"  ({journal_s / produce_s:.2f}x the produce)"
            )
            pages_read(journal, args.records)
            journal.close()
            files = directory.glob("*.sqlite*")
            size = sum(p.stat().st_size for p in files)
            print(f"journal size:              {size / args.records:,.0f} B per record")

            workers = [Journal(directory / worker_file(i), key) for i in range(2)]
            await journal_states(workers, args.states)

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            restored = await restore(Journal(directory / FRONT_FILE, key), workers, producer)
            elapsed = time.perf_counter() - started
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
            count = restored.webhooks + restored.state
            print(
                f"restore:                   {restored.webhooks} webhooks and {restored.state}"
                f" state entries in {elapsed:.2f} s ({count / elapsed:,.0f}/s);"
                f" peak RSS grew {grown / 1024:,.0f} MB"
            )
            if args.states:
                assert broker.pid is not None
                await marks_both_ways(workers, bootstrap, producer, broker.pid)
        finally:
            await producer.stop()


if __name__ == "__main__":
    asyncio.run(main())
