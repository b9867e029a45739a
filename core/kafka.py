"""Kafka plumbing shared by every process: topic creation, the producer, and a
reader that follows a compacted topic from the beginning.

"Caught up" means position >= the high watermark seen in Fetch responses, not
``end_offsets``: the embedded broker answers ListOffsets wrongly (BROKER.md),
and the high watermark is right on every broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)

#: Room for a max-size body base64-encoded inside an envelope.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def topic_configs(spec: TopicSpec, replication_factor: int = 1) -> dict[str, str]:
    """The topic-level configs ``spec`` is created with (Apache Kafka names)."""
    configs = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    if spec.compacted:
        configs["cleanup.policy"] = "compact"
    if spec.retention_days is not None:
        configs["retention.ms"] = str(int(spec.retention_days * 86_400_000))
        if spec.compacted:
            configs["cleanup.policy"] = "compact,delete"
    if replication_factor > 1:
        configs["min.insync.replicas"] = str(replication_factor - 1)
    return configs


async def ensure_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    replication_factor: int = 1,
    partitions: Mapping[str, int] | None = None,
) -> None:
    """Create topics with explicit partition counts (``partitions`` by topic name, else
    each spec's); existing ones are left alone.

    With ``replication_factor`` > 1 (production: 3), a write acknowledged with
    acks=all is on at least ``replication_factor - 1`` brokers (min.insync.replicas):
    losing one broker loses nothing accepted."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for spec in specs:
            configs = topic_configs(spec, replication_factor)
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            (partitions or {}).get(spec.name, spec.partitions),
                            replication_factor,
                            topic_configs=configs,
                        )
                    ]
                )
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


_MURMUR_SEED = 0x9747B28C
_MURMUR_M = 0x5BD1E995
_MASK32 = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data`` (``org.apache.kafka.common.utils.Utils.murmur2``, as
    an unsigned 32-bit int): the same answer as ``aiokafka.partitioner.murmur2``, a
    word at a time rather than a byte at a time (about 5 -> 2.2 µs for a 32-byte key:
    it ran for every keyed record produced)."""
    length = len(data)
    h = _MURMUR_SEED ^ length
    words = length // 4
    for k in struct.unpack_from(f"<{words}I", data):
        k = (k * _MURMUR_M) & _MASK32
        h = ((h * _MURMUR_M) ^ (((k ^ (k >> 24)) * _MURMUR_M) & _MASK32)) & _MASK32
    tail = length & 3
    if tail:
        rest = words * 4
        if tail == 3:
            h ^= data[rest + 2] << 16
        if tail >= 2:
            h ^= data[rest + 1] << 8
        h = ((h ^ data[rest]) * _MURMUR_M) & _MASK32
    h ^= h >> 13
    h = (h * _MURMUR_M) & _MASK32
    return h ^ (h >> 15)


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def default_partitioner(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """``aiokafka.partitioner.DefaultPartitioner`` (the Java client's placement of keyed
    records) with :func:`murmur2`."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[partition_for(key, len(all_partitions))]


def new_producer(bootstrap: str, **overrides: object) -> AIOKafkaProducer:
    """acks=all: a 2xx answer means the record is on every in-sync replica."""
    options: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "partitioner": default_partitioner,
        # Every caller awaits its write (a 200, a dedup mark, a lead): a linger would
        # only idle them. Records added while a request is in flight still go together.
        "linger_ms": 0,
        # aiokafka's default (16 KiB) holds five 2 KB webhooks: under load every request
        # then waits for a drain round trip.
        "max_batch_size": 1024 * 1024,
        "max_request_size": MAX_MESSAGE_BYTES,
        "request_timeout_ms": 10_000,
        "enable_idempotence": False,  # unsupported by tansu; effects are idempotent instead
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def enqueue_batches(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    rows: Sequence[tuple[bytes, bytes | None]],
    timestamp_ms: int | None = None,
) -> list[asyncio.Future[Any]]:
    """Hand ``(key, value)`` rows for one partition to ``producer`` as few record batches
    as fit, in order (None values are tombstones); returns the batches'
    acknowledgements, once every row is queued behind what was queued before."""
    records = ((key, value, timestamp_ms) for key, value in rows)
    return await enqueue_records(producer, topic, partition, records)


async def enqueue_records(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    records: Iterable[tuple[bytes, bytes | None, int | None]],
) -> list[asyncio.Future[Any]]:
    """:func:`enqueue_batches` for ``(key, value, timestamp_ms)`` records, each with its
    own timestamp (a restore publishes each state entry with the time it was written)."""
    acknowledgements = []
    batch = producer.create_batch()
    for key, value, timestamp_ms in records:
        if batch.append(key=key, value=value, timestamp=timestamp_ms) is None:  # full
            acknowledgements.append(await producer.send_batch(batch, topic, partition=partition))
            batch = producer.create_batch()
            batch.append(key=key, value=value, timestamp=timestamp_ms)
    acknowledgements.append(await producer.send_batch(batch, topic, partition=partition))
    return acknowledgements


def stamp_fetch_answers_when_sent(consumer: AIOKafkaConsumer) -> None:
    """Make ``consumer.last_poll_timestamp`` the time its Fetch was *sent*, not handled.

    A Fetch answer's high watermark was read by the broker after the request left,
    so "read up to it" proves every record acknowledged before the send was read; the
    time aiokafka stamps (when it handles the answer) proves nothing, as the answer may
    wait in the socket for a stalled loop or a busy broker for seconds (a CI run
    had a config view take such an answer for a fresh one). Wraps this consumer's own
    fetcher, after ``start`` and before any partition is assigned: the other consumers
    of the process keep aiokafka's stamp. It uses aiokafka 0.14's internals: a version
    without them fails here or in the fetch, loudly, and one that stops calling them
    fails ``test_a_config_view_never_takes_a_late_handled_fetch_answer_for_a_fresh_one``."""
    fetcher = consumer._fetcher
    proc = fetcher._proc_fetch_request  # type: ignore[union-attr]

    async def proc_stamped_at_send(assignment: Any, node_id: int, request: Any) -> Any:
        sent_ms = int(time.time() * 1000)
        outcome = await proc(assignment, node_id, request)
        # A partition is in one Fetch at a time, so a stamp later than this one's send
        # is this answer's.
        for topic, partitions in request.topics:
            for partition, *_ in partitions:
                state = assignment.state_value(TopicPartition(topic, partition))
                if state is not None and state.timestamp is not None and state.timestamp > sent_ms:
                    state.timestamp = sent_ms
        return outcome

    fetcher._proc_fetch_request = proc_stamped_at_send  # type: ignore[union-attr]


RecordHandler = Callable[[bytes | None, bytes | None], Awaitable[None] | None]


class CompactedTopicReader:
    """Reads every partition of a topic from the beginning and keeps following it,
    handing each (key, value) to ``handler``; ``value is None`` is a tombstone."""

    def __init__(self, bootstrap: str, topic: str, handler: RecordHandler) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._handler = handler
        self._consumer: AIOKafkaConsumer | None = None
        #: Asks for end offsets on a connection of its own: a broker answers a
        #: connection's requests in order (Apache Kafka and tansu alike), so on the
        #: reader's they waited out its long-poll Fetch (100-200 ms, measured on tansu).
        self._offsets: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._failure: BaseException | None = None
        #: partition -> next offset to apply; lets writers wait to read their own writes.
        self._applied: dict[int, int] = {}
        #: partition -> the reader's position once its last fetched records were applied:
        #: every record below it has been handed to ``handler``.
        self._through: dict[int, int] = {}
        self._tps: list[TopicPartition] = []
        self._progress = asyncio.Condition()
        #: Wall-clock time a Fetch was sent whose answer found every partition applied
        #: up to its high watermark: every record acknowledged before then is applied
        #: (advances with every poll while caught up and the broker answers; stops while
        #: it does not).
        self.caught_up_at = 0.0

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def start(self, ready_timeout: float = 30.0) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_MESSAGE_BYTES,
            # Config is low-traffic; a short long-poll keeps every process's view
            # fresh even on brokers that hold idle fetches until the wait expires.
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        stamp_fetch_answers_when_sent(consumer)
        partitions = consumer.partitions_for_topic(self._topic)
        if not partitions:
            await consumer.stop()
            raise RuntimeError(f"topic {self._topic} does not exist (run `hookline topics`)")
        tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._consumer = consumer
        self._tps = tps
        self._offsets = AIOKafkaConsumer(bootstrap_servers=self._bootstrap)
        await self._offsets.start()
        self._task = asyncio.create_task(self._run(tps), name=f"reader:{self._topic}")
        await self.wait_ready(ready_timeout)

    async def wait_ready(self, timeout: float) -> None:
        waiter = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:
            waiter.cancel()
            if self._failure is not None:
                raise RuntimeError(f"reading {self._topic} failed: {self._failure}")
            raise TimeoutError(f"not caught up with {self._topic} after {timeout} s")

    def _caught_up(self, tps: list[TopicPartition]) -> float | None:
        """When the reader was last known caught up: the oldest of the partitions' last
        Fetches' send times, if each had been read to the high watermark its answer
        gave; None if not.
        (Only answered Fetches count, not the clock: while the broker is unreachable
        nothing is answered, and the moment stops advancing.)"""
        assert self._consumer is not None
        oldest: float | None = None
        for tp in tps:
            highwater = self._consumer.highwater(tp)
            answered = self._consumer.last_poll_timestamp(tp)
            if highwater is None or answered is None:
                return None
            if self._through[tp.partition] < highwater:
                return None
            oldest = answered / 1000 if oldest is None else min(oldest, answered / 1000)
        return oldest

    async def _run(self, tps: list[TopicPartition]) -> None:
        assert self._consumer is not None
        try:
            while True:
                # Every record fetched, never a part: a record batch is handed whole, which
                # :meth:`wait_read_to_end` relies on (the embedded broker's end offset is
                # the last batch's first offset + 1).
                batches = await self._consumer.getmany(timeout_ms=200)
                for tp, records in batches.items():
                    for record in records:
                        outcome = self._handler(record.key, record.value)
                        if outcome is not None:
                            await outcome
                    if records:
                        self._applied[tp.partition] = records[-1].offset + 1
                # Checked here, after the whole batch is applied, never mid-batch.
                for tp in tps:
                    self._through[tp.partition] = await self._consumer.position(tp)
                moment = self._caught_up(tps)
                async with self._progress:
                    if moment is not None:
                        self.caught_up_at = max(self.caught_up_at, moment)
                    self._progress.notify_all()
                if moment is not None:
                    self._ready.set()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._failure = exc
            log.exception("compacted topic reader stopped", extra={"topic": self._topic})
            raise

    async def wait_applied(self, partition: int, offset: int, timeout: float = 10.0) -> None:
        """Wait until the record at ``offset`` has been handed to the handler."""
        async with self._progress:
            await asyncio.wait_for(
                self._progress.wait_for(lambda: self._applied.get(partition, 0) > offset), timeout
            )

    async def wait_read_to_end(self, timeout: float = 10.0) -> bool:
        """Wait until every record the topic held when this was called has been handed
        to the handler: one ListOffsets round trip, then a wait only if there are
        records still to read. False when there were none."""
        assert self._offsets is not None
        async with asyncio.timeout(timeout):
            offsets = await self._offsets.end_offsets(self._tps)
            ends = {tp.partition: end for tp, end in offsets.items()}

            def read() -> bool:
                return all(self._through.get(p, 0) >= end for p, end in ends.items())

            if read():
                return False
            async with self._progress:
                await self._progress.wait_for(read)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for consumer in (self._consumer, self._offsets):
            if consumer is not None:
                await consumer.stop()
