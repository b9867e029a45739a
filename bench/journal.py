"""What the embedded journal costs: journaled webhooks per second (concurrent
writers, grouped commits, 2 KB envelopes) beside the same number of acks=all
produces to the embedded broker in the same run, then how long ``hookline dev``'s
restore takes to publish them into an empty broker.

    python bench/journal.py --records 20000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workdir import work_dir
from core.journal import FRONT_FILE, WORKER_FILE, Journal, load_key
from core.kafka import ensure_topics, new_producer
from hookline.embedded.broker import EmbeddedBroker
from hookline.embedded.restore import restore
from schemas.topics import WEBHOOKS


async def timed(count: int, concurrency: int, one) -> float:
    """Seconds to run ``one(i)`` for every i, ``concurrency`` at a time."""
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(i: int) -> None:
        async with semaphore:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(count)))
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    body = os.urandom(1024).hex().encode()  # 2 KB, incompressible

    with work_dir("bench-journal-", keep=False) as directory, EmbeddedBroker() as bootstrap:
        key = load_key(directory)
        journal = Journal(directory / FRONT_FILE, key).open_for_writing()
        await ensure_topics(bootstrap, [WEBHOOKS])
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
            journal.close()
            files = directory.glob("*.sqlite*")
            size = sum(p.stat().st_size for p in files)
            print(f"journal size:              {size / args.records:,.0f} B per record")

            started = time.perf_counter()
            restored = await restore(
                Journal(directory / FRONT_FILE, key),
                [Journal(directory / WORKER_FILE, key)],
                producer,
            )
            elapsed = time.perf_counter() - started
            print(
                f"restore:                   {restored.webhooks} webhooks in {elapsed:.2f} s"
                f"  ({restored.webhooks / elapsed:,.0f}/s)"
            )
        finally:
            await producer.stop()


if __name__ == "__main__":
    asyncio.run(main())
