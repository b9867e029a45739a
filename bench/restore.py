"""What ``hookline dev`` publishes at a start after a ``kill -9`` (no word that
ClickHouse had every lead), each way into a fresh embedded broker, in the same run:

- **before** (up to stop 28): every lead ever journaled;
- **now:** only the leads ClickHouse does not hold at their journaled version (asked
  first: ``HistoryStore.lead_versions``); a kill leaves a few of them, in flight.

    python bench/restore.py --leads 100000 --unstored 0.01 --rounds 2

The leads are real ``LeadState`` JSON (a tag, two custom fields, a profile, three
outcomes: about 700 B); ``--unstored`` of them are left out of ClickHouse, as many
again are stored one version behind the journal. Prints each way's time (the
ClickHouse question included), what it published and how much the broker grew.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workdir import add_keep_data, work_dir
from core.journal import FRONT_FILE, Journal, load_key, worker_file
from core.kafka import ensure_topics, new_producer, partition_for
from hookline.embedded.broker import EmbeddedBroker
from hookline.embedded.dev import resident_mb
from hookline.embedded.restore import restore
from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from schemas.commands import lead_key
from schemas.leads import CommandOutcome, LeadState
from schemas.topics import CONFIG, LEADS

ACCOUNT = "acc_be0c4"


def lead(n: int, version: int) -> LeadState:
    return LeadState(
        account_id=ACCOUNT,
        phone=f"+55119{n:08d}",
        name=f"Cliente {n}",
        tags=["compra-aprovada"],
        fields={"produto": "Curso de fotografia", "cupom": f"C{n}"},
        profile={"email": f"cliente{n}@example.com"},
        outcomes={f"cmd-{n}-{i}": CommandOutcome(status="applied") for i in range(3)},
        version=version,
    )


async def prepare(directory: Path, leads: int, unstored: float) -> tuple[Journal, HistoryStore]:
    """A worker journal with ``leads`` leads at version 2; ClickHouse with all of them
    but ``unstored`` (absent) and as many again (at version 1)."""
    journal = Journal(directory / worker_file(0), load_key(directory)).open_for_writing()
    clickhouse = ClickHouse.open(f"chdb://{directory / 'clickhouse'}", "hookline")
    await clickhouse.migrate()
    store = HistoryStore(clickhouse)
    missing = int(leads * unstored)
    for start in range(0, leads, 10_000):
        batch = [lead(n, 2) for n in range(start, min(start + 10_000, leads))]
        await journal.put_states(
            LEADS.name,
            [
                (partition_for(key.encode(), LEADS.partitions), key, LEADS.encode(one))
                for one in batch
                for key in [lead_key(one.account_id, one.phone)]
            ],
            len(batch),
        )
        stored = [
            rows_for(one.model_copy(update={"version": 1}) if n < 2 * missing else one)[1]
            for n, one in enumerate(batch, start)
            if n >= missing
        ]
        await store.write("leads", stored)
    journal.close()
    print(
        f"{leads:,} leads journaled (about {len(LEADS.encode(lead(0, 2)))} B each);"
        f" ClickHouse lacks {missing:,} and holds {missing:,} one version behind",
        flush=True,
    )
    return Journal(directory / worker_file(0), load_key(directory)), store


async def one_way(directory: Path, journal: Journal, store: HistoryStore, now: bool) -> tuple:
    """Seconds (in all, and asking ClickHouse), leads published, leads left out and the
    broker's growth (MB) of one restore, into a new broker."""
    broker = EmbeddedBroker()
    with broker as bootstrap:
        assert broker.pid is not None
        await ensure_topics(bootstrap, [CONFIG, LEADS])
        producer = new_producer(bootstrap)
        await producer.start()
        try:
            idle = resident_mb(broker.pid)
            front = Journal(directory / FRONT_FILE, load_key(directory))
            started = time.perf_counter()
            versions = await store.lead_versions() if now else None
            asked = time.perf_counter() - started
            restored = await restore(front, [journal], producer, stored_leads=versions)
            elapsed = time.perf_counter() - started
            grown = resident_mb(broker.pid) - idle
        finally:
            await producer.stop()
        return elapsed, asked, restored.state, restored.stored_leads, grown


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--unstored", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=2)
    add_keep_data(parser)
    args = parser.parse_args()
    with work_dir("bench-restore-", keep=args.keep_data) as directory:
        journal, store = await prepare(directory, args.leads, args.unstored)
        for round_ in range(1, args.rounds + 1):
            figures = {}
            for name, now in (("before", False), ("now", True)):
                figures[name] = await one_way(directory, journal, store, now)
                seconds, asked, published, left_out, grown = figures[name]
                print(
                    f"round {round_} {name:>6}: {seconds:6.2f} s ({asked:.2f} asking ClickHouse),"
                    f" {published:,} leads published,"
                    f" {left_out:,} left out; broker grew {grown:,.0f} MB",
                    flush=True,
                )
            print(
                f"round {round_}: now / before = {figures['now'][0] / figures['before'][0]:.2f}x"
                " the time",
                flush=True,
            )
        store.db.close()


if __name__ == "__main__":
    asyncio.run(main())
