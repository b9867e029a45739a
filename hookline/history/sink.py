"""The history sink: consumes history, config, lead and dead-letter topics and
writes them to ClickHouse in batches (by size or time). Offsets are committed
only after a batch is stored, so a crash re-delivers instead of losing rows;
ReplacingMergeTree tables collapse the re-delivered rows.

The loop never dies quietly: a commit refused after a rebalance is logged and
the records come again; any other failure drops the unstored batch, rewinds to
the committed offsets and starts over (history must not stop while the rest of
the pipeline runs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import CommitFailedError
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, wait_exponential

from core import metrics
from core.kafka import MAX_MESSAGE_BYTES, stamp_fetch_answers_when_sent
from core.settings import Settings
from hookline.history.finished import RecentlyStored
from hookline.history.store import HistoryStore
from hookline.history.tables import BY_NAME, READ_BY_CLICKHOUSE, Table, rows_for
from schemas.history import ConfigChange
from schemas.topics import CONFIG, DEADLETTER, HISTORY, LEADS
from schemas.types import redact_secrets

log = logging.getLogger(__name__)
GROUP = "hookline-history-sink"
RESTART_DELAY_SECONDS = 1.0
# Short enough that history resumes within seconds of ClickHouse coming back.
MAX_RETRY_WAIT_SECONDS = 5.0


def _config_change(record: ConsumerRecord) -> ConfigChange:
    """The audit row of a config change. People read the audit log, so a secret is kept
    as its fingerprint (any field marked ``Secret`` in schemas/config.py): a changed
    secret still shows as a change, its value never does."""
    key = record.key.decode()
    kind = key.split(":", 1)[0]
    account_id = record_json = ""
    if record.value is not None:
        config = CONFIG.decode(record.value)
        account_id = config.owner
        record_json = json.dumps(redact_secrets(config), ensure_ascii=False, separators=(",", ":"))
    return ConfigChange(
        key=key,
        account_id=account_id,
        record_kind=kind,
        record_json=record_json,
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


def latest_per_key(records: list[ConsumerRecord]) -> list[ConsumerRecord]:
    """Of one partition's records of a compacted topic, the last of each key, in order:
    what compaction keeps. The leads table keeps a lead's latest version anyway
    (ReplacingMergeTree(version)), and a repeat lead is written several times a fetch,
    on Apache Kafka with every outcome it remembers (up to 500). With 100 leads in turn
    (``bench/e2e.py --leads 100``, stop 19: an intent and a final state per message) the
    front's CPU a webhook was 661 µs decoding each (222 with a new lead each), 469
    reading only the last."""
    last = {record.key: index for index, record in enumerate(records)}
    if len(last) == len(records):
        return records
    return [record for index, record in enumerate(records) if last[record.key] == index]


def _decoded(record: ConsumerRecord) -> Any | None:
    """:func:`decode`, a record that does not decode logged and left out (None)."""
    try:
        return decode(record)
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
        return None


#: How every record on hookline.history starts: pydantic writes a model's fields in the
#: order declared, and ``kind`` comes first in each (schemas/history.py).
_KIND_PREFIX = b'{"kind":"'


def _read_by_clickhouse(record: ConsumerRecord) -> Table | None:
    """The table ClickHouse fills from this record as written, if any."""
    value = record.value
    if record.topic != HISTORY.name or not value or not value.startswith(_KIND_PREFIX):
        return None
    end = value.find(b'"', len(_KIND_PREFIX))
    return _BY_KIND_BYTES.get(value[len(_KIND_PREFIX) : end])


_BY_KIND_BYTES = {kind.encode(): table for kind, table in READ_BY_CLICKHOUSE.items()}


class Batch:
    """What the sink holds until it is stored: rows built in Python, by table, and, where
    ClickHouse computes the rows itself (``HistoryStore.write_json``: embedded ClickHouse),
    the records as written, by table. A webhook's history record is about 5 KB of JSON
    (its body twice, escaped): decoding it and building its row took the sink about
    40 µs of Python a webhook, the GIL held (bench/history.py)."""

    def __init__(
        self,
        store: HistoryStore,
        recently: RecentlyStored | None = None,
        read_json: bool | None = None,
    ) -> None:
        self._store = store
        self._recently = recently
        #: Whether ClickHouse reads the records it can (None: wherever the store can;
        #: False: every record decoded here, as against a ClickHouse server).
        self._read_json = store.reads_json if read_json is None else read_json
        self._rows: defaultdict[str, list[list[Any]]] = defaultdict(list)
        #: The decoded records, for :class:`RecentlyStored`.
        self._items: list[Any] = []
        #: By table name (hashing a Table hashes all its columns).
        self._records: defaultdict[str, list[ConsumerRecord]] = defaultdict(list)
        self.size = 0
        #: Rows stored by table, once :meth:`store` returned.
        self.written: dict[str, int] = {}

    def add(self, record: ConsumerRecord) -> None:
        """Take a record (one that is not history, or does not decode, is left out)."""
        table = _read_by_clickhouse(record) if self._read_json else None
        if table is not None:
            self._records[table.name].append(record)
            self.size += 1
            return
        item = _decoded(record)
        if item is not None:
            table, row = rows_for(item)
            self._rows[table].append(row)
            if self._recently is not None:
                self._items.append(item)
            self.size += 1

    async def store(self) -> list[Any]:
        """Store it all; what :class:`RecentlyStored` notes of it. Records ClickHouse
        refuses (one that does not parse fails its whole insert; or ClickHouse is down)
        are decoded here instead, and those that do not decode left out with an error,
        as on the Python path."""
        noted = list(self._items)
        written = {table: len(rows) for table, rows in self._rows.items()}
        for table, rows in self._rows.items():
            await self._store.write(table, rows)
        for name, records in self._records.items():
            table = BY_NAME[name]
            try:
                await self._store.write_json(name, [r.value for r in records])
            except Exception as exc:
                log.warning(
                    "history records not read by ClickHouse; decoding them here",
                    extra={"table": name, "records": len(records), "error": str(exc)[:500]},
                )
                items = [item for item in map(_decoded, records) if item is not None]
                await self._store.write(name, [table.row(item) for item in items])
                written[name] = written.get(name, 0) + len(items)
                if self._recently is not None:
                    noted += items
                continue
            written[name] = written.get(name, 0) + len(records)
            if self._recently is not None:
                notes = (self._recently.note(table.kind or "", r.value) for r in records)
                noted += [note for note in notes if note is not None]
        self.written = written
        return noted


class HistorySink:
    consumer_class: type[AIOKafkaConsumer] = AIOKafkaConsumer

    def __init__(
        self,
        settings: Settings,
        store: HistoryStore,
        group_id: str = GROUP,
        recently: RecentlyStored | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        #: Told what each stored batch held (``hookline dev``'s journal pruner reads it).
        self.recently = recently
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        #: Set by :meth:`drained`: store what is fetched at once, not at the next flush.
        self._draining = False
        embedded_options = (
            {
                "session_timeout_ms": 6000,
                "heartbeat_interval_ms": 1000,
                "fetch_max_wait_ms": 100,
                # The embedded broker answers a Fetch below this only when its wait runs
                # out, and each Fetch of the sink's 17 partitions costs it about 2 ms
                # whatever it holds: at 100 webhooks/s the sink asked about 40 times a
                # second for a few records each, now at most 10 (it stores every 0.5 s).
                "fetch_min_bytes": 1024 * 1024,
            }
            if settings.embedded_broker
            else {}
        )
        self._consumer_options = {
            "bootstrap_servers": settings.bootstrap_servers,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_partition_fetch_bytes": MAX_MESSAGE_BYTES,
            **embedded_options,
        }

    async def start(self) -> None:
        self._consumer = self.consumer_class(**self._consumer_options)
        await self._consumer.start()
        stamp_fetch_answers_when_sent(self._consumer)  # before it is assigned anything
        self._consumer.subscribe([HISTORY.name, CONFIG.name, LEADS.name, DEADLETTER.name])
        self._task = asyncio.create_task(self._supervise(), name="history-sink")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def drained(self, timeout: float) -> bool:
        """Wait until every record the broker held when this was called, in every topic
        the sink reads, is stored and its offset committed; call it once nothing writes
        them. True if so within ``timeout`` seconds.

        Held means below the high watermark of a Fetch *sent* after the call
        (``stamp_fetch_answers_when_sent``): the broker read it after every write
        acknowledged before (ListOffsets answers short of the end on the embedded
        broker: BROKER.md). From the call on, the sink stores what it fetches at once
        instead of at its next flush (it is about to stop): a Fetch or two and an
        insert, where ``hookline dev`` slept a fixed 1 s before and still had no proof."""
        assert self._consumer is not None, "sink not started"
        consumer = self._consumer
        since_ms = int(time.time() * 1000)
        deadline = time.monotonic() + timeout
        self._draining = True
        while self.running:
            partitions = list(consumer.assignment())
            answers = [
                (consumer.last_poll_timestamp(tp), consumer.highwater(tp)) for tp in partitions
            ]
            fresh = [a is not None and a >= since_ms and h is not None for a, h in answers]
            if partitions and all(fresh):
                # Only then ask the broker (a round trip a partition) what is committed.
                committed = [await consumer.committed(tp) or 0 for tp in partitions]
                if all(c >= h for c, (_, h) in zip(committed, answers, strict=True)):
                    return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _supervise(self) -> None:
        failed = False
        while True:
            try:
                if failed:
                    await self._rewind()
                await self._run()
            except Exception:
                failed = True
                metrics.HISTORY_FAILURES.inc()
                log.exception(
                    "history sink loop failed; rewinding to the committed offsets",
                    extra={"retry_in_s": RESTART_DELAY_SECONDS},
                )
                await asyncio.sleep(RESTART_DELAY_SECONDS)

    async def _rewind(self) -> None:
        """Back to the last committed offsets (the start where none was committed,
        as ``auto_offset_reset``), so records of a batch that was never stored are
        read again. ``seek_to_committed`` would skip partitions without a commit."""
        assert self._consumer is not None
        for partition in self._consumer.assignment():
            committed = await self._consumer.committed(partition)
            if committed is None or committed < 0:
                await self._consumer.seek_to_beginning(partition)
            else:
                self._consumer.seek(partition, committed)

    async def _run(self) -> None:
        assert self._consumer is not None
        batch = Batch(self.store, self.recently)
        deadline = time.monotonic() + self.settings.history_flush_seconds
        while True:
            fetched = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            for partition, records in fetched.items():
                if partition.topic == LEADS.name:
                    records = latest_per_key(records)
                for record in records:
                    batch.add(record)
            now = time.monotonic()
            due = now >= deadline or self._draining
            if batch.size >= self.settings.history_batch_size or (batch.size and due):
                await self._flush(batch)
                batch = Batch(self.store, self.recently)
            if not batch.size and fetched:
                await self._commit()
            if now >= deadline:
                deadline = now + self.settings.history_flush_seconds

    async def _flush(self, batch: Batch) -> None:
        """Store the batch, retrying for as long as ClickHouse is down: the offsets are
        committed only once it is stored, so nothing is lost and nothing skipped.
        :attr:`recently` is told before the commit: once :meth:`drained` says all is
        stored, it knows all of it."""
        started = time.perf_counter()
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=MAX_RETRY_WAIT_SECONDS),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                stored = await batch.store()
        if self.recently is not None:
            self.recently.stored(stored)
        for table, count in batch.written.items():
            metrics.HISTORY_ROWS.labels(table).inc(count)
        metrics.HISTORY_FLUSH_SECONDS.observe(time.perf_counter() - started)
        await self._commit()

    async def _commit(self) -> None:
        """Commit what was consumed. Refused after a rebalance: the rows are stored
        already, the records come again from the last commit and collapse."""
        assert self._consumer is not None
        try:
            await self._consumer.commit()
        except CommitFailedError as exc:
            log.warning("history sink offsets not committed", extra={"error": str(exc)})


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
