"""The embedded profile reads a fetched partition up to its first hole: the guard on
made-up batches, then on the real broker, where several producers writing one
partition make a tailing consumer skip records without it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from core import kafka_holes, metrics
from core.settings import Settings
from tests.conftest import new_topic
from tests.processes import python_output

TP = TopicPartition("t", 0)


@dataclass
class Batch:
    base_offset: int
    next_offset: int


class Fetched:
    """A fetched partition's batches, as aiokafka's MemoryRecords hands them."""

    def __init__(self, *spans: tuple[int, int]) -> None:
        self._batches = [Batch(*span) for span in spans]

    def has_next(self) -> bool:
        return bool(self._batches)

    def next_batch(self) -> Batch | None:
        return self._batches.pop(0) if self._batches else None


def read(fetch_offset: int, *spans: tuple[int, int]) -> list[int]:
    """The base offsets of the batches the guard lets through."""
    guarded = kafka_holes._UpToHole(Fetched(*spans), TP, fetch_offset)
    out = []
    while guarded.has_next():
        out.append(guarded.next_batch().base_offset)
    assert guarded.next_batch() is None
    return out


@pytest.fixture(autouse=True)
def no_open_holes() -> None:
    kafka_holes._waiting.clear()


def test_batches_that_follow_each_other_all_go_through() -> None:
    assert read(10, (10, 12), (12, 13), (13, 20)) == [10, 12, 13]
    # The first batch may start before the fetch offset (the batch holding it).
    assert read(11, (10, 12), (12, 13)) == [10, 12]


def test_reading_stops_at_a_hole_and_the_hole_is_waited_on() -> None:
    assert read(10, (10, 12), (14, 16), (16, 18)) == [10]
    assert kafka_holes._waiting.keys() == {(TP, 12)}
    assert read(12, (14, 16)) == []  # still open: nothing after it either


def test_a_filled_hole_is_forgotten() -> None:
    assert read(12, (14, 16)) == []
    assert read(12, (12, 14), (14, 16)) == [12, 14]
    assert kafka_holes._waiting == {}


def test_a_hole_open_too_long_is_read_past_with_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [100.0]
    monkeypatch.setattr(kafka_holes.time, "monotonic", lambda: clock[0])
    assert read(12, (14, 16)) == []
    clock[0] += kafka_holes.HOLE_WAIT_SECONDS - 1
    assert read(12, (14, 16)) == []
    skipped = metrics.FETCH_HOLES_SKIPPED._value.get()
    clock[0] += 1
    with caplog.at_level(logging.ERROR, logger="core.kafka_holes"):
        assert read(12, (14, 16), (16, 18)) == [14, 16]
    assert metrics.FETCH_HOLES_SKIPPED._value.get() == skipped + 1
    [record] = caplog.records
    assert (record.missing_from, record.missing_to) == (12, 13)  # type: ignore[attr-defined]
    assert kafka_holes._waiting == {}


def _patched_after(code: str) -> bool:
    """Whether aiokafka's fetched partitions are guarded after running ``code`` in a
    fresh interpreter (the tests' own process has the guard on: conftest)."""
    check = (
        f"{code}\nfrom aiokafka.consumer import fetcher\n"
        "print(getattr(fetcher.PartitionRecords.__init__, 'hookline_up_to_hole', False))"
    )
    return python_output(check).strip() == "True"


def test_only_the_embedded_profile_is_guarded_and_the_worker_takes_it() -> None:
    settings = "from core.settings import Settings\n"
    assert not _patched_after(
        settings + "from core import kafka_holes\nkafka_holes.apply(Settings())"
    )
    assert _patched_after(
        settings + "from streams.app import build_app\nbuild_app(Settings(embedded_broker=True))"
    )
    assert not _patched_after(settings + "from streams.app import build_app\nbuild_app(Settings())")


@pytest.mark.kafka
async def test_a_consumer_tailing_a_partition_written_by_many_producers_misses_nothing(
    broker: object,
) -> None:
    """Eight producers write one partition, a record per request, while a consumer reads
    it as it grows. Without the guard tansu's answers made it skip records in every one
    of six runs (one to eight holes of two offsets); with it, every offset comes once."""
    kafka_holes.apply(Settings(embedded_broker=True))
    bootstrap = broker.bootstrap  # type: ignore[attr-defined]
    topic = await new_topic(bootstrap, "holes", partitions=1)
    producers = [AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all") for _ in range(8)]
    per_producer = 2000
    total = len(producers) * per_producer
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=25
    )
    await consumer.start()
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    seen: list[int] = []

    async def tail() -> None:
        # Until its position is past the last record: a skipped record moves it too.
        while await consumer.position(tp) < total:
            fetched = await consumer.getmany(tp, timeout_ms=100)
            seen.extend(record.offset for record in fetched.get(tp, []))

    async def write(producer: AIOKafkaProducer, index: int) -> None:
        async def one(start: int) -> None:  # two requests in flight a producer
            for n in range(start, per_producer, 2):
                await producer.send_and_wait(topic, f"{index}-{n}".encode(), partition=0)

        await asyncio.gather(one(0), one(1))

    try:
        for producer in producers:
            await producer.start()
        tailing = asyncio.create_task(tail())
        await asyncio.gather(*(write(p, i) for i, p in enumerate(producers)))
        await asyncio.wait_for(tailing, timeout=60)
    finally:
        for producer in producers:
            await producer.stop()
        await consumer.stop()
    assert sorted(set(range(total)) - set(seen)) == []
    assert seen == list(range(total))
