"""The worker's outputs: records kept until acknowledged, then produced a batch per
partition, where Kafka's default partitioner puts their keys, in the order added."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import REGISTRY
from pydantic import ValidationError

from core import metrics
from core.settings import Settings
from core.worker import wire
from core.worker.wire import BATCH_EVENTS, Outputs, each_batch
from schemas.dedup import DedupMark
from schemas.history import CommandResult, WebhookHistory
from schemas.topics import DEDUP, HISTORY
from schemas.types import utcnow


class FakeBatch:
    def __init__(self, room: int) -> None:
        self.room = room
        self.rows: list[tuple[bytes, bytes]] = []

    def append(self, *, key: bytes, value: bytes, timestamp: Any) -> object | None:
        if self.rows and len(self.rows) >= self.room:
            return None
        self.rows.append((key, value))
        return object()


class FakeProducer:
    def __init__(self, partitions: int, room: int = 1000, fail: bool = False) -> None:
        self.partitions = partitions
        self.room = room
        self.fail = fail
        #: (topic, partition, rows) per batch, in the order sent.
        self.sent: list[tuple[str, int, list[tuple[bytes, bytes]]]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.room)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        self.sent.append((topic, partition, batch.rows))
        future = asyncio.get_running_loop().create_future()
        if self.fail:
            future.set_exception(RuntimeError("not acknowledged"))
        else:
            future.set_result(None)
        return future


def _mark(n: int) -> DedupMark:
    return DedupMark(request_id=f"r{n}", received_at=utcnow())


async def test_records_go_to_the_default_partitioners_partition_in_order() -> None:
    producer = FakeProducer(partitions=4)
    outputs = Outputs(producer)  # type: ignore[arg-type]
    added = [(f"key-{n % 7}", _mark(n)) for n in range(40)]
    for key, mark in added:
        outputs.add(DEDUP, key, mark)
    assert producer.sent == []  # nothing leaves before acknowledged()
    await outputs.acknowledged()
    every = [0, 1, 2, 3]
    for topic, partition, rows in producer.sent:
        assert topic == DEDUP.name
        expected = [
            (key.encode(), DEDUP.encode(mark))
            for key, mark in added
            if DefaultPartitioner()(key.encode(), every, every) == partition
        ]
        assert rows == expected
    assert sum(len(rows) for *_, rows in producer.sent) == 40
    await outputs.acknowledged()  # nothing more to produce
    assert sum(len(rows) for *_, rows in producer.sent) == 40


async def test_a_full_batch_is_followed_by_another_in_order() -> None:
    producer = FakeProducer(partitions=1, room=3)
    outputs = Outputs(producer)  # type: ignore[arg-type]
    for n in range(8):
        outputs.add(DEDUP, f"k{n}", _mark(n))
    await outputs.acknowledged()
    assert [len(rows) for *_, rows in producer.sent] == [3, 3, 2]
    keys = [key for *_, rows in producer.sent for key, _ in rows]
    assert keys == [f"k{n}".encode() for n in range(8)]


async def test_a_record_not_acknowledged_fails_the_whole() -> None:
    outputs = Outputs(FakeProducer(partitions=2, fail=True))  # type: ignore[arg-type]
    outputs.add(DEDUP, "k", _mark(1))
    with pytest.raises(RuntimeError):
        await outputs.acknowledged()


async def test_each_batch_takes_batches_as_told_and_hands_them_over_in_order(
    monkeypatch: Any,
) -> None:
    asked: list[tuple[object, int, float]] = []

    async def take_batches(stream: object, max_events: int, wait_seconds: float) -> Any:
        asked.append((stream, max_events, wait_seconds))
        for batch in (["a", "b"], ["c"]):
            yield batch

    monkeypatch.setattr(wire, "take_batches", take_batches)
    handled: list[list[str]] = []

    async def handle(events: Any) -> None:
        handled.append(list(events))

    stream = FakeStream("test-topic")
    events_before = sample("hookline_worker_batch_events_sum", topic="test-topic")
    batches_before = sample("hookline_worker_batch_seconds_count", topic="test-topic")
    await each_batch(stream, handle, "test events", 0.02)  # type: ignore[arg-type]
    assert asked == [(stream, BATCH_EVENTS, 0.02)]
    assert handled == [["a", "b"], ["c"]]
    # Each batch's size and time are observed (/metrics of the worker).
    assert sample("hookline_worker_batch_events_sum", topic="test-topic") == events_before + 3
    assert sample("hookline_worker_batch_seconds_count", topic="test-topic") == batches_before + 2


class FakeStream:
    class Channel:
        def __init__(self, topic: str) -> None:
            self.topic = topic

        def get_topic_name(self) -> str:
            return self.topic

    def __init__(self, topic: str) -> None:
        self.channel = self.Channel(topic)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _webhook(status: str) -> WebhookHistory:
    return WebhookHistory(
        request_id="r",
        account_id="acc_0a1",
        integration_id="int_c0c0a7ed",
        received_at=utcnow(),
        processed_at=utcnow(),
        status=status,
    )


def _result(status: str) -> CommandResult:
    return CommandResult(
        command_id="c",
        account_id="acc_0a1",
        integration_id="int_c0c0a7ed",
        request_id="r",
        phone="+5511999990000",
        type="add_tag",
        status=status,
        applied_at=utcnow(),
    )


async def test_history_records_are_counted_once_acknowledged() -> None:
    def counts() -> tuple[float, float, float]:
        return (
            sample(
                "hookline_webhooks_processed_total", integration="int_c0c0a7ed", status="matched"
            ),
            sample("hookline_webhooks_processed_total", integration="int_c0c0a7ed", status="error"),
            sample("hookline_commands_executed_total", type="add_tag", status="applied"),
        )

    before = counts()
    failing = Outputs(FakeProducer(partitions=2, fail=True))  # type: ignore[arg-type]
    failing.add(HISTORY, "r", _webhook("matched"))
    with pytest.raises(RuntimeError):
        await failing.acknowledged()
    assert counts() == before  # not acknowledged: not counted
    outputs = Outputs(FakeProducer(partitions=2))  # type: ignore[arg-type]
    for record in (_webhook("matched"), _webhook("matched"), _webhook("error"), _result("applied")):
        outputs.add(HISTORY, "r", record)
    outputs.add(DEDUP, "k", _mark(1))  # not history: not counted
    assert counts() == before  # nothing counted before the broker has them
    await outputs.acknowledged()
    assert counts() == (before[0] + 2, before[1] + 1, before[2] + 1)
    await outputs.acknowledged()  # nothing new
    assert counts() == (before[0] + 2, before[1] + 1, before[2] + 1)


def test_the_workers_batch_wait_is_a_setting_in_milliseconds(monkeypatch: Any) -> None:
    assert Settings().worker_batch_wait_ms == 5.0
    monkeypatch.setenv("HOOKLINE_WORKER_BATCH_WAIT_MS", "20")
    assert Settings().worker_batch_wait_ms == 20.0
    for wrong in ("0", "-1", "1001"):  # no wait at all, or one an operator mistyped
        monkeypatch.setenv("HOOKLINE_WORKER_BATCH_WAIT_MS", wrong)
        with pytest.raises(ValidationError):
            Settings()


def test_a_record_that_cannot_be_counted_never_fails_its_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Counting runs after the batch's records are acknowledged: a failure there is
    logged, never raised into the agent (which would stop the worker over a count)."""

    class Odd:
        kind = "webhook"  # but none of a webhook row's fields

    metrics.count_history([Odd()])
    assert "history records not counted" in caplog.text
