"""A faust worker that starts while records wait sees every offset and commits to the end.

faust-streaming 0.15.3 can make such a worker skip a contiguous range of records for
good (../shared/FAUST.md; fixed by streams/faust_fix.py). Each run has fresh topics and
a fresh group on the session's broker, and real worker processes
(tests/integration/faults/backlog_worker.py: the production app, whose two agents only record
the offsets they see), with no faust table, as the production worker.

With BACKLOG_TABLE=1 every worker gets a faust table (table recovery is where a fresh
worker met the race most often). Measured with the patch: fresh starts hold, but a
replacement or a spare taking over still showed a hole now and then (about 1 run in
18), which is one reason the worker keeps no faust table (core/worker/store.py).

The race needs many starts to show: BACKLOG_STARTS (default 8) sets the fresh starts,
a quarter as many of each failover; BACKLOG_AT_ONCE how many run at once;
BACKLOG_TABLE=1 gives every worker a table, BACKLOG_TABLE=mixed half of them. To
measure unpatched faust,
see tests/integration/faults/unpatched/sitecustomize.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Coroutine, Iterable
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from core.kafka import new_producer
from tests.conftest import unique_topic

RECORDS = 2_000  # per topic, waiting when a worker starts
VALUE = b"x" * 500  # about a webhook envelope
STARTS = int(os.environ.get("BACKLOG_STARTS", "8"))
AT_ONCE = int(os.environ.get("BACKLOG_AT_ONCE", "4"))
TABLE = os.environ.get("BACKLOG_TABLE")
#: How long an agent takes per event: about a real agent's produce round trip. With 0
#: the agents keep their queues empty and skipped records seldom show as a hole.
AGENT_SECONDS = os.environ.get("BACKLOG_AGENT_SECONDS", "0.001")
#: A run is over when its worker has seen and committed nothing new for this long (the
#: commit interval is 2.8 s).
STALLED_AFTER = 10.0


def with_table(n: int) -> bool:
    return TABLE == "1" or (TABLE == "mixed" and n % 2 == 0)


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
    """One run's fresh group and topics: two for the agents (``partitions`` each) and
    the changelog of a table that no agent uses. Records go round the partitions."""

    def __init__(self, bootstrap: str, directory: Path, table: bool, partitions: int = 4):
        self.bootstrap = bootstrap
        self.directory = directory
        self.table = table
        self.partitions = partitions
        self.group = unique_topic("backlog")
        self.topics = (f"{self.group}.webhooks", f"{self.group}.commands")
        self.changelog = f"{self.group}.changelog"
        self.tps = [TopicPartition(t, p) for t in self.topics for p in range(partitions)]
        #: Per partition, the offset after the last record produced (the high watermark).
        self.ends = dict.fromkeys(self.tps, 0)
        self._sent = 0
        self._stream: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Backlog:
        self.directory.mkdir(parents=True)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        self._producer = new_producer(self.bootstrap)
        await self._admin.start()
        await self._producer.start()
        compacted = {"cleanup.policy": "compact"}
        await self._admin.create_topics(
            [NewTopic(t, self.partitions, 1) for t in self.topics]
            + [NewTopic(self.changelog, self.partitions, 1, topic_configs=compacted)]
        )
        for partition in range(self.partitions):  # state to recover, as in production
            await self._producer.send_and_wait(self.changelog, VALUE, b"key", partition=partition)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_stream()
        await self._producer.stop()
        await self._admin.close()

    async def produce(self, per_topic: int) -> None:
        sends = []
        for n in range(self._sent, self._sent + per_topic):
            for topic in self.topics:
                partition = n % self.partitions
                sends.append(await self._producer.send(topic, VALUE, partition=partition))
        self._sent += per_topic
        for metadata in await asyncio.gather(*sends):
            tp = TopicPartition(metadata.topic, metadata.partition)
            self.ends[tp] = max(self.ends[tp], metadata.offset + 1)

    def start_stream(self, per_second: int = 200) -> None:
        """Records keep arriving (on each topic) until :meth:`stop_stream`."""
        stop = self._stop_stream = asyncio.Event()

        async def stream() -> None:
            while not stop.is_set():
                await self.produce(per_second // 20)
                await asyncio.sleep(0.05)

        self._stream = asyncio.create_task(stream())

    async def stop_stream(self) -> None:
        if self._stream is not None:
            self._stop_stream.set()
            await self._stream
            self._stream = None

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets:
            return
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
            # The worker may be writing its last line: only whole lines count.
            for line in path.read_text().split("\n")[:-1]:
                topic, partition, offset = line.split()
                seen[TopicPartition(topic, int(partition))].append(int(offset))
        return seen

    def count_seen(self, name: str) -> int:
        return sum(map(len, self.seen(name).values()))

    def readies(self, name: str) -> int:
        """How many times the worker ``name`` logged faust's "Ready" (after a rebalance)."""
        path = self.directory / f"{name}.log"
        return path.read_text(errors="replace").count("[^Worker]: Ready") if path.exists() else 0

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        """A worker process, started as ``hookline worker`` is (hookline/embedded/dev.py)."""
        env = {
            **os.environ,
            "HOOKLINE_BOOTSTRAP_SERVERS": self.bootstrap,
            "HOOKLINE_EMBEDDED_BROKER": "true",
            "BACKLOG_GROUP": self.group,
            "BACKLOG_TOPICS": ",".join(self.topics),
            "BACKLOG_PARTITIONS": str(self.partitions),
            "BACKLOG_CHANGELOG": self.changelog if self.table else "",
            "BACKLOG_SEEN": str(self.directory / f"{name}.seen"),
            "BACKLOG_AGENT_SECONDS": AGENT_SECONDS,
            # faust's data directory is under the temporary directory: the test's own,
            # not /tmp (each run's random app id left one behind there).
            "TMPDIR": str(self.directory),
        }
        with open(self.directory / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.integration.faults.backlog_worker"],
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
        """Until the group has committed everything produced, the worker has seen and
        committed nothing new for STALLED_AFTER, it died, or ``timeout`` passed."""
        progress, progressed_at = None, time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while process.poll() is None:
                    committed = await self.committed()
                    if all(committed[tp] >= end for tp, end in self.ends.items()):
                        return
                    now = (committed, self.count_seen(name))
                    if now != progress:
                        progress, progressed_at = now, time.monotonic()
                    elif now[1] and time.monotonic() - progressed_at > STALLED_AFTER:
                        return
                    await asyncio.sleep(0.25)

    async def problems(
        self, name: str, starts: dict[TopicPartition, int], everyone: Iterable[str] = ()
    ) -> list[str]:
        """What went wrong: a hole in what ``name`` saw from ``starts`` to the end, a
        record that no worker (``name`` and ``everyone``) saw, a commit short of the end."""
        seen = self.seen(name)
        seen_by_all = [self.seen(w) for w in everyone]
        committed = await self.committed()
        found = []
        for tp in self.tps:
            end, label = self.ends[tp], f"{tp.topic.rsplit('.', 1)[1]}[{tp.partition}]"
            if holes := gaps(seen[tp], starts[tp], end):
                found.append(f"{label}: hole {holes} after {starts[tp]} (end {end})")
            if everyone:
                all_seen = [o for s in (seen, *seen_by_all) for o in s[tp]]
                if holes := gaps(all_seen, 0, end):
                    found.append(f"{label}: never seen {holes} (end {end})")
            if committed[tp] < end:
                found.append(f"{label}: committed {committed[tp]}, end {end}")
        return found


async def wait_for(condition, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            assert process.poll() is None, f"worker exited with {process.returncode}"
            await asyncio.sleep(0.05)


async def fresh_start(bootstrap: str, directory: Path, table: bool, rng: random.Random):
    """A worker started on a backlog of a fresh group: some partitions committed
    mid-way, the others not at all."""
    async with Backlog(bootstrap, directory, table) as backlog:
        await backlog.produce(RECORDS)
        starts = {tp: rng.choice([0, rng.randrange(1, end)]) for tp, end in backlog.ends.items()}
        await backlog.commit({tp: offset for tp, offset in starts.items() if offset})
        async with backlog.worker("worker") as worker:
            await backlog.until_settled("worker", worker)
        return await backlog.problems("worker", starts)


async def replacement(bootstrap: str, directory: Path, table: bool) -> list[str]:
    """A worker killed with SIGKILL mid-backlog while records keep arriving, and a new
    one started on its group: it goes on from the committed offsets."""
    async with Backlog(bootstrap, directory, table) as backlog:
        await backlog.produce(RECORDS)
        backlog.start_stream()
        async with backlog.worker("first") as first:
            await wait_for(lambda: backlog.count_seen("first") >= RECORDS, first)
        starts = await backlog.committed()  # the group has no member left to commit
        async with backlog.worker("second") as second:
            await wait_for(lambda: backlog.count_seen("second") > 0, second)
            await asyncio.sleep(1)
            await backlog.stop_stream()
            await backlog.until_settled("second", second)
        return await backlog.problems("second", starts, everyone=["first"])


async def takeover(bootstrap: str, directory: Path, table: bool) -> list[str]:
    """A spare worker (one partition per topic: the other worker holds them) takes over
    when that worker is killed with SIGKILL: its first generation gave it nothing."""
    async with Backlog(bootstrap, directory, table, partitions=1) as backlog:
        await backlog.produce(RECORDS // 4)
        backlog.start_stream()
        async with backlog.worker("first") as first:
            await wait_for(lambda: backlog.count_seen("first") > 0, first)
            async with backlog.worker("spare") as spare:
                await wait_for(lambda: backlog.readies("spare") > 0, spare)
                await asyncio.sleep(1)
                assert backlog.count_seen("spare") == 0, "the spare worker got partitions"
                first.kill()
                await asyncio.to_thread(first.wait)
                starts = await backlog.committed()  # the spare commits nothing before
                await wait_for(lambda: backlog.count_seen("spare") > 0, spare)
                await asyncio.sleep(1)
                await backlog.stop_stream()
                await backlog.until_settled("spare", spare)
        return await backlog.problems("spare", starts, everyone=["first"])


async def run_all(runs: list[Coroutine[Any, Any, list[str]]]) -> str | None:
    """Run ``runs``, AT_ONCE at a time; a report of the ones that went wrong, if any."""
    slots = asyncio.Semaphore(AT_ONCE)

    async def one(run: Coroutine[Any, Any, list[str]]) -> list[str]:
        async with slots:
            return await run

    problems = await asyncio.gather(*(one(run) for run in runs))
    failed = [(n, p) for n, p in enumerate(problems) if p]
    print(f"{len(failed)} of {len(problems)} runs went wrong")  # for repeated measurements
    lines = [f"run {n} (table: {with_table(n)}): " + "; ".join(p) for n, p in failed]
    return "\n".join(lines) or None


@pytest.mark.kafka
async def test_a_worker_started_on_a_backlog_sees_every_offset(
    bootstrap: str, tmp_path: Path
) -> None:
    rng = random.Random()
    report = await run_all(
        [fresh_start(bootstrap, tmp_path / str(n), with_table(n), rng) for n in range(STARTS)]
    )
    assert report is None, report


@pytest.mark.kafka
async def test_a_replacement_worker_goes_on_from_the_committed_offsets(
    bootstrap: str, tmp_path: Path
) -> None:
    runs = max(2, STARTS // 4)
    report = await run_all(
        [replacement(bootstrap, tmp_path / str(n), with_table(n)) for n in range(runs)]
    )
    assert report is None, report


@pytest.mark.kafka
async def test_a_spare_worker_takes_over_from_the_committed_offsets(
    bootstrap: str, tmp_path: Path
) -> None:
    runs = max(2, STARTS // 4)
    report = await run_all(
        [takeover(bootstrap, tmp_path / str(n), with_table(n)) for n in range(runs)]
    )
    assert report is None, report


def test_the_fix_is_applied_once() -> None:
    from faust.tables.recovery import Recovery

    from streams import faust_fix

    faust_fix.apply()
    patched = (faust.App._on_partitions_revoked, Recovery.on_recovery_completed)
    faust_fix.apply()
    assert (faust.App._on_partitions_revoked, Recovery.on_recovery_completed) == patched
    for method in patched:
        assert method.hookline_faust_fix
        assert not getattr(method.__wrapped__, "hookline_faust_fix", False)


def test_the_fix_refuses_another_faust_version() -> None:
    another = "import faust; faust.__version__ = '0.16.0'; import streams.faust_fix"
    root = Path(__file__).parents[3]
    run = subprocess.run([sys.executable, "-c", another], cwd=root, capture_output=True, text=True)
    assert run.returncode != 0
    assert "RuntimeError: streams/faust_fix.py patches faust-streaming 0.15.3" in run.stderr
    assert "0.16.0 is installed" in run.stderr
