"""The worker's partition store on the real broker: values held encoded and decoded
fresh on every read (or kept decoded, served as copies while the store holds the bytes
they decode to), reloaded from the topic, and expired marks pruned from the oldest; in
the embedded mode, a store kept in the worker journals only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from core.journal import Journal, load_key, worker_file, worker_files
from core.kafka import new_producer
from core.worker.decoded import DecodedValues
from core.worker.store import PartitionStore
from schemas.dedup import DedupMark
from schemas.topics import TopicSpec
from schemas.types import utcnow
from tests.conftest import unique_topic

pytestmark = pytest.mark.kafka


def one(store: PartitionStore[DedupMark], partition: int, key: str) -> DedupMark | None:
    return store.get_many(partition, [key]).get(key)


def _specs() -> tuple[TopicSpec, TopicSpec]:
    spec = TopicSpec(unique_topic("store"), "key", DedupMark, partitions=2, compacted=True)
    return spec, TopicSpec(unique_topic("source"), "key", DedupMark, partitions=2)


#: A store decoding every read, and one keeping values decoded (as the leads' does).
KEEPING = pytest.mark.parametrize("keeps", [False, True], ids=["decoded-each-read", "kept-decoded"])


def kept_decoded(keeps: bool = True) -> DecodedValues[DedupMark] | None:
    """Marks kept decoded whatever their size (a store keeps only large values)."""
    return DecodedValues(DedupMark.model_copy, min_bytes=0) if keeps else None


class CountingSpec(TopicSpec):
    """Counts the values it decodes."""

    decoded: ClassVar[list[bytes]] = []

    def decode(self, raw: bytes) -> DedupMark:
        self.decoded.append(raw)
        return super().decode(raw)


async def _store(
    bootstrap: str,
    specs: tuple[TopicSpec, TopicSpec] | None = None,
    keeps: bool = False,
) -> tuple[PartitionStore[DedupMark], object]:
    """A store on its topic, created here (new ones unless ``specs`` names them)."""
    spec, source = specs or _specs()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(spec.name, 2, 1)])
    finally:
        await admin.close()
    producer = new_producer(bootstrap)
    await producer.start()
    store: PartitionStore[DedupMark] = PartitionStore(
        spec, source, bootstrap, kept_decoded=kept_decoded(keeps)
    )
    await store.start(producer)
    return store, producer


@KEEPING
async def test_values_are_read_fresh_reloaded_and_pruned_from_the_oldest(
    bootstrap: str, keeps: bool
) -> None:
    store, producer = await _store(bootstrap, keeps=keeps)
    try:
        await store.load(0)
        now = utcnow()
        ages = {"old-1": 3, "old-2": 2, "new-1": 0, "old-3": 2, "new-2": 0}  # hours
        for key, hours in ages.items():
            mark = DedupMark(request_id=key, received_at=now - timedelta(hours=hours))
            await store.put(0, key, mark)

        first = one(store, 0, "new-1")
        assert first is not None and first.request_id == "new-1"
        first.request_id = "changed by the caller"
        assert one(store, 0, "new-1").request_id == "new-1"  # a fresh copy each time

        many = store.get_many(0, ["new-1", "missing", "old-2", "new-1"])
        assert {k: v.request_id for k, v in many.items()} == {"new-1": "new-1", "old-2": "old-2"}

        store.revoke([0])
        assert not store.loaded(0)
        with pytest.raises(KeyError):  # its next owner may be writing it: never read
            store.get_many(0, ["new-1"])
        await store.load(0)
        assert {k: one(store, 0, k).request_id for k in ages} == {k: k for k in ages}

        def current(mark: DedupMark) -> bool:
            return utcnow() - mark.received_at < timedelta(hours=1)

        # The oldest written go; the scan stops at the first kept ("old-3", written out
        # of order, waits for a later prune; reads check the window anyway).
        assert store.prune_oldest(current) == 2
        assert [k for k in ages if one(store, 0, k) is not None] == ["new-1", "old-3", "new-2"]
    finally:
        await store.stop()
        await producer.stop()


async def test_a_calls_many_writes_go_out_in_order_and_reload_as_written(bootstrap: str) -> None:
    """A key rewritten or deleted later in the same call ends as its last write, in the
    store and in the topic it is reloaded from (a batch's writes go out together)."""
    store, producer = await _store(bootstrap)
    try:
        for partition in (0, 1):
            await store.load(partition)

        def mark(tag: str) -> DedupMark:
            return DedupMark(request_id=tag, received_at=utcnow())

        many: list[tuple[int, str, DedupMark | None]] = [
            (0, f"k{i}", mark(f"first-{i}")) for i in range(8)
        ]
        writes = [*many, (1, "lone", mark("lone")), (0, "k3", mark("second-3")), (0, "k4", None)]
        await (await store.stage_many(writes))

        expected = {f"k{i}": f"first-{i}" for i in range(8)}
        expected |= {"k3": "second-3", "k4": None}

        def stored() -> dict[str, str | None]:
            return {key: getattr(one(store, 0, key), "request_id", None) for key in expected}

        assert stored() == expected
        store.revoke([0, 1])
        # An agent's read loads the partitions it names, then answers the stored pairs.
        read = await store.read([(0, "k3"), (1, "lone"), (0, "k4"), (1, "never")])
        assert {where: m.request_id for where, m in read.items()} == {
            (0, "k3"): "second-3",
            (1, "lone"): "lone",
        }
        assert store.loaded(0) and store.loaded(1)
        assert stored() == expected
    finally:
        await store.stop()
        await producer.stop()


def mark(request_id: str) -> DedupMark:
    return DedupMark(request_id=request_id, received_at=utcnow())


def request_ids(store: PartitionStore[DedupMark], keys: list[str]) -> dict[str, str | None]:
    return {key: getattr(one(store, 0, key), "request_id", None) for key in keys}


@asynccontextmanager
async def journal_store(
    bootstrap: str,
    spec: TopicSpec,
    source: TopicSpec,
    directory: Path,
    index: int,
    keeps: bool = False,
) -> AsyncIterator[PartitionStore[DedupMark]]:
    """Worker ``index``'s store kept in the journals of ``directory`` (every worker's)."""
    key = load_key(directory)
    journal = Journal(directory / worker_file(index), key).open_for_writing()
    producer = new_producer(bootstrap)
    await producer.start()
    store: PartitionStore[DedupMark] = PartitionStore(
        spec,
        source,
        bootstrap,
        journal,
        journals=lambda: [Journal(path, key) for path in worker_files(directory)],
        kept_decoded=kept_decoded(keeps),
    )
    await store.start(producer)
    try:
        yield store
    finally:
        await store.stop()
        await producer.stop()
        journal.close()


@KEEPING
async def test_a_store_kept_in_the_journals_loads_from_every_workers_and_never_the_broker(
    bootstrap: str, tmp_path: Path, keeps: bool
) -> None:
    """Worker 0 writes, the partition moves to worker 1 (which reads worker 0's journal,
    writes newer values and a deletion), and back: the value written last wins, and
    nothing reaches the broker."""
    spec, source = _specs()
    spec = replace(spec, store_in_journals_when_embedded=True, produced_when_embedded=False)
    keys = ["a", "b", "c"]
    async with (
        journal_store(bootstrap, spec, source, tmp_path, 0, keeps) as first,
        journal_store(bootstrap, spec, source, tmp_path, 1, keeps) as second,
    ):
        await first.load(0)
        await (await first.stage_many([(0, "a", mark("a-1")), (0, "b", mark("b-1"))]))
        assert request_ids(first, keys) == {"a": "a-1", "b": "b-1", "c": None}

        first.revoke([0])
        with pytest.raises(KeyError):  # its next owner may be writing it: never read
            first.get_many(0, ["a"])
        await second.load(0)  # a rebalance: the second worker owns partition 0 now
        assert request_ids(second, keys) == {"a": "a-1", "b": "b-1", "c": None}
        await second.put(0, "a", mark("a-2"))
        await second.put(0, "b", None)
        await second.put(0, "c", mark("c-2"))

        second.revoke([0])
        await first.load(0)  # and back
        assert request_ids(first, keys) == {"a": "a-2", "b": None, "c": "c-2"}
        assert first.prune_oldest(lambda m: False) == 0  # the journals forget expired marks

    # The topic itself was never written: a store reading it finds nothing.
    from_topic, producer = await _store(bootstrap, (spec, source))
    try:
        await from_topic.load(0)
        assert request_ids(from_topic, keys) == dict.fromkeys(keys)
    finally:
        await from_topic.stop()
        await producer.stop()


def _published(value: DedupMark) -> bytes:
    """Less than the store keeps, as the leads are produced without their outcomes."""
    published = value.model_copy(update={"request_id": f"for-readers-{value.request_id}"})
    return published.model_dump_json().encode()


async def test_a_store_kept_in_the_journals_produces_what_its_topic_declares(
    bootstrap: str, tmp_path: Path
) -> None:
    """The journals hold each value whole (what the workers read), the topic what its
    other readers need (``produced_when_embedded_as``), deletions included."""
    spec, source = _specs()
    spec = replace(spec, store_in_journals_when_embedded=True, produced_when_embedded_as=_published)
    keys = ["a", "b"]
    async with journal_store(bootstrap, spec, source, tmp_path, 0) as store:
        await store.load(0)
        await (await store.stage_many([(0, "a", mark("a-1")), (0, "b", mark("b-1"))]))
        await store.put(0, "b", None)
        assert request_ids(store, keys) == {"a": "a-1", "b": None}
    from_topic, producer = await _store(bootstrap, (spec, source))
    try:
        await from_topic.load(0)
        assert request_ids(from_topic, keys) == {"a": "for-readers-a-1", "b": None}
    finally:
        await from_topic.stop()
        await producer.stop()


def test_only_a_topic_declared_so_is_kept_in_the_journals(tmp_path: Path) -> None:
    spec, source = _specs()
    journal = Journal(tmp_path / worker_file(0), load_key(tmp_path))
    with pytest.raises(ValueError, match="not read in the journals"):
        PartitionStore(spec, source, "localhost:9092", journal, journals=lambda: [journal])


async def test_a_value_kept_decoded_is_served_only_while_the_store_holds_its_bytes(
    bootstrap: str, tmp_path: Path
) -> None:
    """A store keeping values decoded serves a value it wrote without decoding it, as a
    copy; once another worker wrote the key (the partition moved, and this worker was not
    told yet), the bytes read differ and that worker's value is decoded and served."""
    spec, source = _specs()
    spec = CountingSpec(
        **{**vars(spec), "store_in_journals_when_embedded": True, "produced_when_embedded": False}
    )
    decoded = CountingSpec.decoded
    async with (
        journal_store(bootstrap, spec, source, tmp_path, 0, keeps=True) as first,
        journal_store(bootstrap, spec, source, tmp_path, 1, keeps=True) as second,
    ):
        await first.load(0)
        await first.put(0, "a", mark("a-1"))
        decoded.clear()
        served = one(first, 0, "a")
        assert served is not None and served.request_id == "a-1"
        assert decoded == []  # the value this store wrote, not decoded again
        served.request_id = "changed by the caller"
        assert one(first, 0, "a").request_id == "a-1"  # a copy each time

        await second.load(0)  # no revoke reached the first worker
        await second.put(0, "a", mark("a-2"))
        assert one(first, 0, "a").request_id == "a-2"  # other bytes: decoded
        assert len(decoded) == 1
        assert one(first, 0, "a").request_id == "a-2"  # and kept
        assert len(decoded) == 1

        await second.put(0, "a", None)  # a deletion by the other worker
        assert one(first, 0, "a") is None
