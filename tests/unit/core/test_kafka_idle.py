"""The embedded profile's idle fetchers ask the broker less often: the pace on its own,
then a real consumer on the broker going quiet and getting records again."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.consumer.fetcher import Fetcher

from core import kafka_idle
from core.settings import Settings
from tests.conftest import new_topic
from tests.processes import python_output

IDLE_MS = Settings.model_fields["embedded_idle_fetch_wait_ms"].default


def test_the_pace_waits_longer_only_after_a_quiet_spell(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(kafka_idle.time, "monotonic", lambda: clock[0])
    pace = kafka_idle._Pace(busy_ms=25, idle_ms=200)
    clock[0] += kafka_idle.IDLE_AFTER_SECONDS - 0.1
    assert pace.wait_after(got_records=False) == 25  # a gap, not a quiet spell
    clock[0] += 0.2
    assert pace.wait_after(got_records=False) == 200
    assert pace.wait_after(got_records=False) == 200
    assert pace.wait_after(got_records=True) == 25  # records: its own wait at once
    clock[0] += 1
    assert pace.wait_after(got_records=False) == 25


def test_a_fetcher_that_waits_longer_already_keeps_its_wait() -> None:
    pace = kafka_idle._Pace(busy_ms=500, idle_ms=200)
    pace.last_records -= kafka_idle.IDLE_AFTER_SECONDS + 1
    assert pace.wait_after(got_records=False) == 500


def _paced_after(code: str) -> bool:
    """Whether aiokafka's fetches are paced after running ``code`` in a fresh
    interpreter (the tests' own process has the pace on: conftest)."""
    check = (
        f"from core.settings import Settings\n{code}\n"
        "from aiokafka.consumer.fetcher import Fetcher\n"
        "print(getattr(Fetcher._proc_fetch_request, 'hookline_idle_pace', False))"
    )
    return python_output(check).strip() == "True"


def test_only_the_embedded_profile_is_paced_and_the_worker_takes_it() -> None:
    apply = "from core import embedded_fetch\nembedded_fetch.apply"
    assert not _paced_after(f"{apply}(Settings())")
    assert not _paced_after(
        f"{apply}(Settings(embedded_broker=True, embedded_idle_fetch_wait_ms=0))"
    )
    assert _paced_after(f"{apply}(Settings(embedded_broker=True))")
    build = "from streams.app import build_app\nbuild_app"
    assert _paced_after(f"{build}(Settings(embedded_broker=True))")
    assert not _paced_after(f"{build}(Settings())")


class FetchCount:
    """How many Fetches this process's consumers have had answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        paced = Fetcher._proc_fetch_request

        async def counted(fetcher: Fetcher, *args: object) -> bool:
            got = await paced(fetcher, *args)
            self.count += 1
            return got

        monkeypatch.setattr(Fetcher, "_proc_fetch_request", counted)

    async def during(self, seconds: float) -> int:
        before = self.count
        await asyncio.sleep(seconds)
        return self.count - before


@pytest.mark.kafka
async def test_a_quiet_consumer_polls_less_then_reads_the_next_record_and_speeds_up(
    broker: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tansu holds each Fetch for its whole wait: at 25 ms an idle consumer asks about
    40 times a second. Quiet, it asks at most every 200 ms; the next record still comes,
    and the consumer is back at 25 ms after it."""
    kafka_idle.apply(Settings(embedded_broker=True))
    monkeypatch.setattr(kafka_idle, "IDLE_AFTER_SECONDS", 1.0)
    fetches = FetchCount(monkeypatch)
    bootstrap = broker.bootstrap  # type: ignore[attr-defined]
    topic = await new_topic(bootstrap, "idle", partitions=4)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, fetch_max_wait_ms=25, auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(4)])
        reading = asyncio.create_task(consumer.getone())
        busy = await fetches.during(0.8)
        await asyncio.sleep(0.5)  # quiet for longer than IDLE_AFTER_SECONDS
        quiet = await fetches.during(2.0)
        fetcher = consumer._fetcher
        assert fetcher._fetch_max_wait_ms == IDLE_MS
        assert busy >= 8, busy  # 25 ms a Fetch: about 32 in 0.8 s on a quiet machine
        assert quiet <= 2.0 * 1000 / IDLE_MS + 1, (busy, quiet)

        await producer.send_and_wait(topic, b"after a quiet spell", partition=2)
        record = await asyncio.wait_for(reading, 10)
        assert record.value == b"after a quiet spell"
        assert fetcher._fetch_max_wait_ms == 25  # set by the Fetch that brought it
    finally:
        reading.cancel()
        await producer.stop()
        await consumer.stop()
