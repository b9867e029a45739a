"""Worker state on compacted topics: the latest value of each key, for the
partitions this worker owns (the dedup marks of the webhook agent, the leads of
the executor).

Not faust Tables, for two reasons measured on the embedded broker and true on
Apache Kafka too:

- a table's write is buffered with no way to await it, and the pipeline's
  promises need exactly that: a delivery's dedup mark is written only after its
  outputs are acknowledged, and a send's intent must be durable before the
  channel is called. Here :meth:`PartitionStore.put` returns once the broker has
  the value (acks=all);
- a table recovers its changelog up to ListOffsets, which the embedded broker
  answers short of the end (BROKER.md): the tail was lost unless every record
  went in its own batch, which halved the worker's throughput. Here a partition
  is read from its start up to the Fetch high watermark, right on every broker.

The store partition is the partition of the event that writes it (the store
topic has as many partitions as the stream's topic), so a worker owns exactly
the store partitions of the stream partitions it is assigned, as faust tables
do. A partition is loaded before its first event is processed and forgotten when
it is revoked: another worker may write it next.

In the embedded mode, a store whose topic is ``store_in_journals_when_embedded`` (the
dedup marks, one per webhook for a day; the leads, every one ever) reads every worker's
journal, key by key, instead of loading anything (``MergedJournals``): its writes are
journaled first anyway (``core/journal.py``, durable once committed), the broker starts
empty at every restart, and loading a day of marks took about 12 µs each (two minutes
of marks a day at 100 webhooks/s). A partition moved from one worker to another is read
in the journal of each, the value written last winning, as the restore merges them. A
write is produced too unless the topic is not ``produced_when_embedded`` (the marks and
send intents: nothing else reads them); the leads are, for the history sink, without
the outcomes they remember (``produced_when_embedded_as``).

Values are held encoded, as on the topic, on local disk (``core/worker/disk.py``: a
worker's memory no longer grows with its leads and marks), and decoded on
:meth:`PartitionStore.get_many` (a fresh copy each time: about 20 µs for a lead with three
remembered commands, plus about 5 µs to read it), unless the store keeps them decoded
too (``kept_decoded``: leads, whose decode grows with what they remember), bounded, for
as long as the bytes read are the bytes it decoded (``core/worker/decoded.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from core.journal import Journal, MergedJournals
from core.kafka import MAX_MESSAGE_BYTES, enqueue_batches
from core.worker.decoded import DecodedValues
from core.worker.disk import DiskValues
from schemas.topics import TopicSpec

log = logging.getLogger(__name__)
V = TypeVar("V")

#: The loader's long-poll: short, because an idle partition is answered only when it
#: runs out on the embedded broker, and a load waits for one answer per partition.
LOAD_FETCH_WAIT_MS = 20


class StateMirror(Protocol):
    """A second durable copy of store writes (the embedded mode's journal: its broker
    keeps topics in memory only)."""

    def put_states(
        self,
        topic: str,
        writes: Sequence[tuple[int, str, bytes | None]],
        timestamp_ms: int | None = None,
    ) -> Awaitable[Any]:
        """Queue ``(partition, key, value)`` writes in order; the awaitable answers once
        all are durable."""


class PartitionStore(Generic[V]):
    """``key -> value`` per partition of ``spec``'s topic; values are ``spec``'s model.
    ``source`` is the stream whose partitions decide which store partitions this worker
    owns; ``keep`` filters records while loading (expired dedup marks are not kept).
    ``journals`` (embedded mode, ``spec.store_in_journals_when_embedded``) lists every
    worker's journal: the store reads them key by key (``keep`` is not used: the journals
    forget expired marks), and ``mirror`` (this worker's) is the one written.
    ``kept_decoded`` keeps values decoded between reads (``core/worker/decoded.py``): for
    values dear to decode (leads)."""

    def __init__(
        self,
        spec: TopicSpec,
        source: TopicSpec,
        bootstrap: str,
        mirror: StateMirror | None = None,
        keep: Callable[[V], bool] | None = None,
        journals: Callable[[], Sequence[Journal]] | None = None,
        kept_decoded: DecodedValues[V] | None = None,
    ) -> None:
        if spec.partitions != source.partitions:
            raise ValueError(f"{spec.name} must have as many partitions as {source.name}")
        if journals is not None and (mirror is None or not spec.store_in_journals_when_embedded):
            raise ValueError(f"{spec.name} is not read in the journals")
        self.spec = spec
        self.source = source
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._mirror = mirror
        self._keep = keep
        self._journals = MergedJournals(journals) if journals is not None else None
        #: partition -> key -> the value encoded (``spec.encode``), for loaded partitions.
        self._values: DiskValues | None = None
        self._loaded: set[int] = set()
        #: Bumped on revocation: a load that started before it is thrown away.
        self._epoch: dict[int, int] = {}
        self._lock = asyncio.Lock()
        self._loader: AIOKafkaConsumer | None = None
        self._decoded = kept_decoded

    async def start(self, producer: AIOKafkaProducer) -> None:
        """Writes go through ``producer`` (shared, started by the caller)."""
        self._producer = producer
        if self._journals is not None:
            return  # nothing to load: read in the journals
        self._values = DiskValues()
        self._loader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
            fetch_max_wait_ms=LOAD_FETCH_WAIT_MS,
        )
        await self._loader.start()

    async def stop(self) -> None:
        if self._loader is not None:
            await self._loader.stop()
            self._loader = None
        if self._values is not None:
            self._values.close()
            self._values = None
        if self._journals is not None:
            self._journals.close()
        if self._decoded is not None:
            self._decoded.clear()
        self._loaded.clear()

    def loaded(self, partition: int) -> bool:
        return partition in self._loaded

    async def load(self, partition: int) -> None:
        """Read ``partition`` up to its high watermark, unless it is loaded already."""
        if partition in self._loaded:
            return
        if self._journals is not None:
            self._journals.refresh()  # a worker started since may have written it
            self._loaded.add(partition)
            return
        async with self._lock:
            if partition in self._loaded:
                return
            epoch = self._epoch.get(partition, 0)
            values = self._started()
            values.drop(partition)  # what an earlier ownership left, if anything
            records = await self._read(partition, values)
            if self._epoch.get(partition, 0) != epoch:
                values.drop(partition)  # revoked meanwhile: its next owner writes it
                return
            self._loaded.add(partition)
            log.info(
                "store partition loaded",
                extra={
                    "topic": self.spec.name,
                    "partition": partition,
                    "records": records,
                    "keys": values.count(partition),
                },
            )

    def _started(self) -> DiskValues:
        assert self._values is not None, "store not started"
        return self._values

    async def _read(self, partition: int, values: DiskValues) -> int:
        """Write ``partition``'s latest values into ``values``; returns the records read."""
        assert self._loader is not None, "store not started"
        tp = TopicPartition(self.spec.name, partition)
        self._loader.assign([tp])
        await self._loader.seek_to_beginning(tp)
        records = 0
        while True:
            # The high watermark arrives with the first Fetch answer; compare positions
            # only after the batch in hand is applied.
            # A short wait: an empty partition yields no record, only the watermark (0)
            # with the first Fetch answer; waiting longer for records only delayed it.
            batch = await self._loader.getmany(
                tp, timeout_ms=2 * LOAD_FETCH_WAIT_MS, max_records=10_000
            )
            fetched = batch.get(tp, ())
            records += len(fetched)
            kept = [
                (record.key.decode(), self._kept(record.value))
                for record in fetched
                if record.key is not None
            ]
            values.put_many(partition, kept)
            highwater = self._loader.highwater(tp)
            if highwater is not None and await self._loader.position(tp) >= highwater:
                return records

    def _kept(self, raw: bytes | None) -> bytes | None:
        """``raw`` if it is a value to keep, None (a deletion) if not."""
        if raw is None or self._keep is None or self._keep(self.spec.decode(raw)):
            return raw
        return None

    async def read(self, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], V]:
        """The values of ``(partition, key)`` pairs (a pair missing from the answer has
        none), each partition loaded first and read in one go: what an agent's batch
        asks for before it works."""
        wanted: dict[int, list[str]] = {}
        for partition, key in keys:
            wanted.setdefault(partition, []).append(key)
        found: dict[tuple[int, str], V] = {}
        for partition, partition_keys in wanted.items():
            await self.load(partition)
            values = self.get_many(partition, partition_keys)
            found.update(((partition, key), value) for key, value in values.items())
        return found

    def get_many(self, partition: int, keys: Iterable[str]) -> dict[str, V]:
        """The values of ``keys`` in ``partition`` (a key missing from the answer has
        none), read at once: agents ask for a batch's keys together. Fresh copies,
        decoded each time or copied from the kept ones: callers may change them freely."""
        if partition not in self._loaded:
            raise KeyError(f"{self.spec.name} partition {partition} is not loaded")
        if self._journals is not None:
            found = self._journals.get_many(self.spec.name, partition, keys)
        else:
            found = self._started().get_many(partition, keys)
        decoded = self._decoded
        if decoded is None:
            return {key: self.spec.decode(raw) for key, raw in found.items() if raw is not None}
        values: dict[str, V] = {}
        for key, raw in found.items():
            if raw is None:
                continue
            value = decoded.get(partition, key, raw)
            if value is None:
                value = self.spec.decode(raw)
                decoded.put(partition, key, raw, value)
            values[key] = value
        return values

    async def put(self, partition: int, key: str, value: V | None) -> None:
        """Write ``value`` (None deletes) and return once the broker acknowledged it."""
        await (await self.stage_many([(partition, key, value)]))

    async def stage_many(self, writes: list[tuple[int, str, V | None]]) -> Awaitable[None]:
        """Start writing many ``(partition, key, value)`` (None deletes): the mirror has
        them when this returns (it must never lag behind what the records produced
        alongside let others see), the broker's acknowledgement of them all is what the
        returned awaitable waits for (callers awaiting other records too wait for all at
        once). The mirror takes them in one go."""
        assert self._producer is not None, "store not started"
        timestamp_ms = int(time.time() * 1000)
        by_partition: dict[int, list[tuple[str, bytes | None]]] = {}
        for partition, key, value in writes:
            raw = None if value is None else self.spec.encode(value)
            by_partition.setdefault(partition, []).append((key, raw))
            if self._decoded is not None:
                # Whether or not this write reaches the store: a read compares bytes.
                self._decoded.put(partition, key, raw, value)
        if self._mirror is not None:
            await self._mirror.put_states(
                self.spec.name,
                [(p, key, raw) for p, rows in by_partition.items() for key, raw in rows],
                timestamp_ms,
            )
        if self._journals is not None and not self.spec.produced_when_embedded:
            return _written()  # committed in the journal: written
        produced = by_partition
        if self._journals is not None and (published := self.spec.produced_when_embedded_as):
            # The journals hold the values whole; the topic's other readers need less.
            produced = {}
            for partition, key, value in writes:
                raw = None if value is None else published(value)
                produced.setdefault(partition, []).append((key, raw))
        # A partition's many writes (a batch's marks or leads) as built record batches:
        # a record costs this process about 3 µs so, 8 handed to the producer alone
        # (enqueued and acknowledged, 1.3 KB leads, measured on the embedded broker). A lone
        # write (a send's intent) goes into the producer's accumulator as a record, where
        # concurrent ones share a batch: as a batch of its own it made the embedded
        # broker's CPU per webhook about twice as high (measured).
        producer, topic = self._producer, self.spec.name
        acknowledgements: list[asyncio.Future[Any]] = []
        many: list[Awaitable[list[asyncio.Future[Any]]]] = []
        for p, rows in produced.items():
            if len(rows) == 1:
                key, raw = rows[0]
                acknowledgements.append(
                    await producer.send(
                        topic, key=key.encode(), value=raw, partition=p, timestamp_ms=timestamp_ms
                    )
                )
            else:
                encoded = [(key.encode(), raw) for key, raw in rows]
                many.append(enqueue_batches(producer, topic, p, encoded, timestamp_ms))
        # At once: a partition's batch waits while one of its batches is still queued.
        for queued in await asyncio.gather(*many):
            acknowledgements += queued
        return self._acknowledged(acknowledgements, by_partition)

    async def _acknowledged(
        self,
        acknowledgements: list[asyncio.Future[Any]],
        written: dict[int, list[tuple[str, bytes | None]]],
    ) -> None:
        await asyncio.gather(*acknowledgements)
        if self._values is None:
            return  # read in the journals, which had them first
        for partition, rows in written.items():
            if partition in self._loaded:  # else revoked meanwhile: its next owner's now
                self._values.put_soon(partition, rows)

    def revoke(self, partitions: Iterable[int]) -> None:
        # Its values stay on disk until it is loaded again (a load starts by dropping
        # them): deleting a large partition's rows here would hold up the rebalance.
        partitions = list(partitions)
        for partition in partitions:
            self._loaded.discard(partition)
            self._epoch[partition] = self._epoch.get(partition, 0) + 1
        if self._decoded is not None:
            self._decoded.drop(partitions)

    def prune_oldest(self, keep: Callable[[V], bool]) -> int:
        """Forget values from the oldest written, while ``keep`` rejects them (expired
        dedup marks); returns how many. The scan stops at the first value kept: a day's
        marks are millions, written in about the order they expire (a partition is read
        in order), and one written out of that order is only kept until a later prune (a
        mark is checked against its window when read anyway)."""
        if self._journals is not None:
            return 0  # the worker's journal forgets its expired marks itself
        values = self._started()
        return sum(
            values.prune_oldest(partition, lambda raw: keep(self.spec.decode(raw)))
            for partition in sorted(self._loaded)
        )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"PartitionStore({self.spec.name}, loaded={sorted(self._loaded)})"


async def _written() -> None:
    """A write committed in the journal: nothing more to wait for."""
