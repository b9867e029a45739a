"""The history sink: consumes history, config, lead and dead-letter topics and
writes them to ClickHouse in batches (by size or time). Offsets are committed
only after a batch is stored, so a crash re-delivers instead of losing rows;
ReplacingMergeTree tables collapse the re-delivered rows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, wait_exponential

from hookline import metrics
from hookline.history.store import HistoryStore, rows_for
from hookline.kafka import MAX_MESSAGE_BYTES
from hookline.settings import Settings
from schemas.history import ConfigChange
from schemas.topics import CONFIG, DEADLETTER, HISTORY, LEADS

log = logging.getLogger(__name__)
GROUP = "hookline-history-sink"


def _config_change(record: ConsumerRecord) -> ConfigChange:
    key = record.key.decode()
    kind = key.split(":", 1)[0]
    account_id = ""
    if record.value is not None:
        account_id = CONFIG.decode(record.value).owner
    return ConfigChange(
        key=key,
        account_id=account_id,
        record_kind=kind,
        record_json=(record.value or b"").decode(),
        deleted=record.value is None,
        changed_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
    )


def decode(record: ConsumerRecord) -> Any | None:
    """The history record a Kafka record stands for; None when there is nothing to store."""
    if record.topic == CONFIG.name:
        return _config_change(record) if record.key else None
    if record.value is None:  # lead tombstones are not history
        return None
    spec = {HISTORY.name: HISTORY, LEADS.name: LEADS, DEADLETTER.name: DEADLETTER}[record.topic]
    return spec.decode(record.value)


class HistorySink:
    def __init__(self, settings: Settings, store: HistoryStore, group_id: str = GROUP) -> None:
        self.settings = settings
        self.store = store
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        group_timing = (
            {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "fetch_max_wait_ms": 100}
            if settings.embedded_broker
            else {}
        )
        self._consumer_options = {
            "bootstrap_servers": settings.bootstrap_servers,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_partition_fetch_bytes": MAX_MESSAGE_BYTES,
            **group_timing,
        }

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            HISTORY.name, CONFIG.name, LEADS.name, DEADLETTER.name, **self._consumer_options
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="history-sink")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _run(self) -> None:
        assert self._consumer is not None
        batch: defaultdict[str, list[list[Any]]] = defaultdict(list)
        pending = 0
        deadline = time.monotonic() + self.settings.history_flush_seconds
        while True:
            fetched = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            for records in fetched.values():
                for record in records:
                    try:
                        item = decode(record)
                    except (ValidationError, KeyError, UnicodeDecodeError) as exc:
                        log.error(
                            "undecodable record skipped by history sink",
                            extra={
                                "topic": record.topic,
                                "partition": record.partition,
                                "offset": record.offset,
                                "error": str(exc)[:500],
                            },
                        )
                        continue
                    if item is not None:
                        table, row = rows_for(item)
                        batch[table].append(row)
                        pending += 1
            now = time.monotonic()
            if pending >= self.settings.history_batch_size or (pending and now >= deadline):
                await self._flush(batch)
                batch.clear()
                pending = 0
            if not pending and fetched:
                await self._consumer.commit()
            if now >= deadline:
                deadline = now + self.settings.history_flush_seconds

    async def _flush(self, batch: dict[str, list[list[Any]]]) -> None:
        """Store the batch, retrying for as long as ClickHouse is down: the offsets are
        committed only once it is stored, so nothing is lost and nothing skipped."""
        started = time.perf_counter()
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=30),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                for table, rows in batch.items():
                    await self.store.write(table, rows)
        for table, rows in batch.items():
            metrics.HISTORY_ROWS.labels(table).inc(len(rows))
        metrics.HISTORY_FLUSH_SECONDS.observe(time.perf_counter() - started)
        assert self._consumer is not None
        await self._consumer.commit()


def _log_retry(state: RetryCallState) -> None:
    metrics.HISTORY_FAILURES.inc()
    error = state.outcome.exception() if state.outcome else None
    log.error(
        "history batch not stored, retrying",
        extra={
            "error": str(error)[:500],
            "retry_in_s": state.next_action.sleep if state.next_action else None,
        },
    )
