"""A faust worker started on a backlog sees every offset and commits up to the end.

faust-streaming 0.15.3 could make a worker that starts while records wait skip a
contiguous range of them for good (../shared/FAUST.md; fixed by streams/faust_fix.py).
Each run here has fresh topics and a fresh group on the session's broker, and a real
worker process (tests/integration/backlog_worker.py: the production app, whose two
agents only record the offsets they see). The race needs many starts to show: set
BACKLOG_STARTS (and BACKLOG_AT_ONCE) to run more than the default."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from hookline.kafka import new_producer
from tests.conftest import unique_topic

pytestmark = [pytest.mark.kafka]

PARTITIONS = 4
RECORDS = 2_000  # per topic, on a fresh start
VALUE = b"x" * 500  # about a webhook envelope
STARTS = int(os.environ.get("BACKLOG_STARTS", "8"))
AT_ONCE = int(os.environ.get("BACKLOG_AT_ONCE", "4"))
#: BACKLOG_TABLE=0: a worker without a table (faust then skips table recovery).
TABLE = os.environ.get("BACKLOG_TABLE", "1") != "0"
#: How long an agent takes per event: about a real agent's produce round trip. With 0 the
#: agents keep their queues empty and a skipped range rarely shows as a hole.
AGENT_SECONDS = os.environ.get("BACKLOG_AGENT_SECONDS", "0.001")
#: A run is over when the worker has seen nothing new and committed nothing new for this
#: long (the commit interval is 2.8 s); the join alone takes about 5 s.
STALLED_AFTER = 10.0


def gaps(offsets: Iterable[int], start: int, end: int) -> list[tuple[int, int]]:
    """The ranges (first, last) of [start, end) missing from ``offsets``."""
    present = set(offsets)
    missing: list[tuple[int, int]] = []
    for offset in range(start, end):
        if offset in present:
            continue
        if missing and missing[-1][1] == offset - 1:
            missing[-1] = (missing[-1][0], offset)
        else:
            missing.append((offset, offset))
    return missing


class Backlog:
    """Two fresh topics (and the table's changelog) and a fresh group for one run."""

    def __init__(self, bootstrap: str, directory: Path) -> None:
        self.bootstrap = bootstrap
        self.directory = directory
        self.group = unique_topic("backlog")
        self.topics = (f"{self.group}.webhooks", f"{self.group}.commands")
        self.changelog = f"{self.group}.changelog"
        self.tps = [TopicPartition(t, p) for t in self.topics for p in range(PARTITIONS)]
        #: Per partition, the offset after the last record produced (the high watermark).
        self.ends = dict.fromkeys(self.tps, 0)
        self._sent = 0

    async def __aenter__(self) -> Backlog:
        self.directory.mkdir(parents=True)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        self._producer = new_producer(self.bootstrap)
        await self._admin.start()
        await self._producer.start()
        await self._admin.create_topics(
            [NewTopic(t, PARTITIONS, 1) for t in self.topics]
            + [NewTopic(self.changelog, PARTITIONS, 1, topic_configs={"cleanup.policy": "compact"})]
        )
        for partition in range(PARTITIONS):  # a table to recover, as in production
            await self._producer.send_and_wait(self.changelog, VALUE, b"key", partition=partition)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()
        await self._admin.close()

    async def produce(self, per_topic: int) -> None:
        sends = []
        for n in range(self._sent, self._sent + per_topic):
            for topic in self.topics:
                sends.append(await self._producer.send(topic, VALUE, partition=n % PARTITIONS))
        self._sent += per_topic
        for metadata in await asyncio.gather(*sends):
            tp = TopicPartition(metadata.topic, metadata.partition)
            self.ends[tp] = max(self.ends[tp], metadata.offset + 1)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=self.group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign(list(offsets))
            await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        finally:
            await consumer.stop()

    async def committed(self) -> dict[TopicPartition, int]:
        """The group's committed offsets (0 where none)."""
        offsets = await self._admin.list_consumer_group_offsets(self.group, partitions=self.tps)
        return {tp: max(offsets[tp].offset, 0) if tp in offsets else 0 for tp in self.tps}

    def seen(self, name: str) -> dict[TopicPartition, list[int]]:
        """The offsets the worker ``name`` saw, per partition, in the order it saw them."""
        path = self.directory / f"{name}.seen"
        seen: dict[TopicPartition, list[int]] = defaultdict(list)
        if path.exists():
            for line in path.read_text().splitlines():
                topic, partition, offset = line.split()
                seen[TopicPartition(topic, int(partition))].append(int(offset))
        return seen

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        """A worker process, started as ``hookline worker`` is (hookline/embedded/dev.py)."""
        env = {
            **os.environ,
            "HOOKLINE_BOOTSTRAP_SERVERS": self.bootstrap,
            "HOOKLINE_EMBEDDED_BROKER": "true",
            "BACKLOG_GROUP": self.group,
            "BACKLOG_TOPICS": ",".join(self.topics),
            "BACKLOG_PARTITIONS": str(PARTITIONS),
            "BACKLOG_CHANGELOG": self.changelog if TABLE else "",
            "BACKLOG_SEEN": str(self.directory / f"{name}.seen"),
            "BACKLOG_AGENT_SECONDS": AGENT_SECONDS,
        }
        with open(self.directory / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.integration.backlog_worker"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @contextlib.asynccontextmanager
    async def worker(self, name: str) -> AsyncIterator[subprocess.Popen[bytes]]:
        """A running worker, killed on the way out whatever happens."""
        process = self.start_worker(name)
        try:
            yield process
        finally:
            process.kill()
            await asyncio.to_thread(process.wait)

    async def until_settled(
        self, name: str, process: subprocess.Popen[bytes], timeout: float = 40.0
    ) -> None:
        """Until the group has committed everything produced, the worker has stopped
        making progress (seen or committed) for STALLED_AFTER, it died, or ``timeout``."""
        progress, progressed_at = None, time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while process.poll() is None:
                    committed = await self.committed()
                    if all(committed[tp] >= end for tp, end in self.ends.items()):
                        return
                    now = (committed, sum(map(len, self.seen(name).values())))
                    if now != progress:
                        progress, progressed_at = now, time.monotonic()
                    elif now[1] and time.monotonic() - progressed_at > STALLED_AFTER:
                        return
                    await asyncio.sleep(0.25)

    async def problems(
        self, name: str, starts: dict[TopicPartition, int], everything: Iterable[str] = ()
    ) -> list[str]:
        """What went wrong: a hole in what ``name`` saw from ``starts`` to the end, a
        record no worker (``name`` and ``everything``) saw, a commit short of the end."""
        seen = self.seen(name)
        committed = await self.committed()
        found = []
        for tp in self.tps:
            end, label = self.ends[tp], f"{tp.topic.rsplit('.', 1)[1]}[{tp.partition}]"
            if holes := gaps(seen[tp], starts[tp], end):
                found.append(f"{label}: hole {holes} after {starts[tp]} (end {end})")
            if everything and (
                holes := gaps([o for w in (name, *everything) for o in self.seen(w)[tp]], 0, end)
            ):
                found.append(f"{label}: never seen {holes} (end {end})")
            if committed[tp] < end:
                found.append(f"{label}: committed {committed[tp]}, end {end}")
        return found


async def fresh_start(bootstrap: str, directory: Path, rng: random.Random) -> list[str]:
    """A worker started on a backlog of a fresh group; some partitions committed
    mid-way, the others not at all."""
    async with Backlog(bootstrap, directory) as backlog:
        await backlog.produce(RECORDS)
        starts = {tp: rng.choice([0, rng.randrange(1, end)]) for tp, end in backlog.ends.items()}
        await backlog.commit({tp: offset for tp, offset in starts.items() if offset})
        async with backlog.worker("worker") as worker:
            await backlog.until_settled("worker", worker)
        return await backlog.problems("worker", starts)


async def replacement(bootstrap: str, directory: Path) -> list[str]:
    """A worker killed with SIGKILL while records keep arriving, and another started on
    the same group: it carries on from the committed offsets without a hole."""
    async with Backlog(bootstrap, directory) as backlog:
        await backlog.produce(RECORDS // 2)
        stop = asyncio.Event()

        async def keep_producing() -> None:
            while not stop.is_set():
                await backlog.produce(10)
                await asyncio.sleep(0.05)

        producing = asyncio.create_task(keep_producing())
        try:
            async with backlog.worker("first") as first:
                async with asyncio.timeout(60):
                    while sum(map(len, backlog.seen("first").values())) < RECORDS // 2:
                        assert first.poll() is None, "the first worker died"
                        await asyncio.sleep(0.05)
            starts = await backlog.committed()  # nobody commits for the group now
            async with backlog.worker("second") as second:
                async with asyncio.timeout(60):
                    while not backlog.seen("second"):
                        assert second.poll() is None, "the second worker died"
                        await asyncio.sleep(0.1)
                await asyncio.sleep(1)
                stop.set()
                await producing
                await backlog.until_settled("second", second)
        finally:
            stop.set()
            await producing
        return await backlog.problems("second", starts, everything=["first"])


async def run_all(runs: list, at_once: int) -> list[list[str]]:
    slots = asyncio.Semaphore(at_once)

    async def one(run) -> list[str]:
        async with slots:
            return await run

    return await asyncio.gather(*(one(run) for run in runs))


def report(problems: list[list[str]]) -> str:
    failed = [(n, p) for n, p in enumerate(problems) if p]
    lines = [f"{len(failed)} of {len(problems)} starts went wrong"]
    lines += [f"  start {n}: " + "; ".join(p) for n, p in failed]
    return "\n".join(lines)


async def test_a_worker_started_on_a_backlog_sees_every_offset(
    bootstrap: str, tmp_path: Path
) -> None:
    rng = random.Random()
    problems = await run_all(
        [fresh_start(bootstrap, tmp_path / f"start-{n}", rng) for n in range(STARTS)], AT_ONCE
    )
    print(report(problems))
    assert not any(problems), report(problems)


async def test_a_replacement_worker_carries_on_from_the_committed_offsets(
    bootstrap: str, tmp_path: Path
) -> None:
    starts = max(2, STARTS // 4)
    problems = await run_all(
        [replacement(bootstrap, tmp_path / f"start-{n}") for n in range(starts)], AT_ONCE
    )
    print(report(problems))
    assert not any(problems), report(problems)
