"""The embedded mode's journal: what its broker must not lose, on disk.

The embedded broker keeps every topic in memory (BROKER.md): a SIGKILL of
``hookline dev`` would lose webhooks answered 200 but not yet processed, config
changes, lead state and the send intents that keep a message from going twice.
Before anything is acknowledged to its sender it is also written here, and
``hookline dev`` publishes it all again into the new, empty broker when it
starts (:mod:`hookline.embedded.restore`). Production needs none of this: Apache
Kafka is durable (acks=all, replication).

Two kinds of entries, in one SQLite file per writing process (the front process
writes webhooks and config, the worker its state; one writer per file, so no
lock is ever shared between processes):

- ``accepted``: every webhook envelope the gateway answered 200 for, in order,
  until ClickHouse shows it fully processed (``forget_accepted``);
- ``state``: the latest value of each key of a compacted topic (config, dedup
  marks, leads, send intents), with the partition it was written to.

Why SQLite and not the embedded broker's ``s3://`` engine: measured, tansu on an
S3 server costs one object write per produced batch and one read per fetched
batch (200 records/s with single-record batches, 1,200/s batched, against a local
S3 stand-in), far below what the pipeline produces; a local journal costs one
SQLite commit per write, grouped (see ``_Writer``), and restores in seconds.

Durability: WAL with ``synchronous=NORMAL``: a commit survives the process being
killed at any instruction (the fault this guards against); surviving a power cut
would take ``synchronous=FULL`` (an fsync per group commit).

Values are encrypted (AES-GCM, bound to their topic and key): envelopes carry
raw bodies with platform tokens, config carries integration secrets and channel
credentials. The key comes from ``HOOKLINE_JOURNAL_KEY`` or, unset, from
``journal.key`` (mode 0600) beside the journal."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schemas.topics import CONFIG, DEDUP

log = logging.getLogger(__name__)

KEY_FILE = "journal.key"
FRONT_FILE = "front.sqlite"
#: Every worker process of ``hookline dev`` journals its own state (one writer per
#: file); the restore and every worker read them all (:func:`worker_files`) and keep,
#: per key, the value written last (:func:`latest_states`, :class:`MergedJournals`).
WORKER_FILE = "worker.sqlite"
WORKER_FILES = "worker*.sqlite"


def worker_file(index: int) -> str:
    """The journal file of worker process ``index`` (the first keeps the name journals
    had when ``hookline dev`` ran one worker)."""
    return WORKER_FILE if index == 0 else f"worker-{index}.sqlite"


def worker_files(directory: Path) -> list[Path]:
    """Every worker journal in ``directory`` (also of workers no longer run)."""
    return sorted(directory.glob(WORKER_FILES))


_NONCE_BYTES = 12
#: A deleted key's journaled value (no topic model encodes to nothing).
_TOMBSTONE = b""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accepted (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id     TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    journaled_at   REAL NOT NULL,
    topic          TEXT NOT NULL,
    key            BLOB,
    -- last: the pruner reads the columns above without the envelope's overflow pages
    value          BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    topic      TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    updated_at REAL NOT NULL,
    -- the record's timestamp on the topic: restored with it, so the history sink's
    -- second copy collapses into the rows it stored the first time
    timestamp_ms INTEGER,
    PRIMARY KEY (topic, partition, key)
);
-- Expired dedup marks are forgotten every minute (forget_state_before): without this,
-- each time a scan of every mark, a day of them (4 million a worker at 100 webhooks/s)
-- about 3 s in which the worker's state writes wait.
CREATE INDEX IF NOT EXISTS state_written ON state (topic, updated_at);
"""


def load_key(
    directory: Path,
    configured: str | None = None,
    filename: str = KEY_FILE,
    setting: str = "HOOKLINE_JOURNAL_KEY",
) -> bytes:
    """The journal's 256-bit key (or another one, by ``filename``): ``configured``
    (urlsafe base64, from the environment variable ``setting``) when given, else the
    key file in ``directory``, created on first use."""
    if configured:
        key = base64.urlsafe_b64decode(configured)
        if len(key) != 32:
            raise ValueError(f"{setting} must be 32 bytes, urlsafe base64")
        return key
    path = directory / filename
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(AESGCM.generate_key(bit_length=256))
    return path.read_bytes()


@dataclass(frozen=True)
class JournaledWebhook:
    """An accepted webhook's journal entry without its envelope: what the pruner asks
    ClickHouse about, read without reading and decrypting the envelopes (a page of
    2,000 holds megabytes of them)."""

    seq: int
    request_id: str
    account_id: str
    integration_id: str
    journaled_at: float


@dataclass(frozen=True)
class Accepted(JournaledWebhook):
    """One accepted webhook as journaled, its envelope decrypted: what a restore
    publishes again."""

    topic: str
    key: bytes | None
    value: bytes


class StateEntry(NamedTuple):
    """One key's latest value (a tuple: millions are read at a worker's start)."""

    topic: str
    partition: int
    key: str
    #: None: the key was deleted (a tombstone on the compacted topic).
    value: bytes | None
    timestamp_ms: int | None
    #: When it was journaled (this machine's clock): the latest of several journals wins.
    updated_at: float = 0.0


#: A statement, the rows it runs over (``executemany``), and who waits for it.
_Statement = tuple[str, Sequence[tuple[Any, ...]], "asyncio.Future[None]"]


class _Group:
    """The statements submitted during one turn of an event loop: handed to the writer
    thread together, and answered together (one wake-up of the loop for all)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.statements: list[_Statement] = []


#: Forgets a topic's entries last written before a moment (through ``state_written``).
FORGET_STATE = "DELETE FROM state WHERE topic = ? AND updated_at < ?"
_PUT_STATE = (
    "INSERT INTO state (topic, partition, key, value, updated_at, timestamp_ms)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, key) DO UPDATE SET"
    " value = excluded.value, updated_at = excluded.updated_at,"
    " timestamp_ms = excluded.timestamp_ms"
)


class _Writer(threading.Thread):
    """Applies writes on its own thread and connection, grouping whatever is queued
    into one transaction (one commit for many concurrent requests).

    What is submitted during one turn of the event loop (a batch of state writes, the
    requests answered in one turn) crosses to the thread as one group, and is answered
    with one callback: a hand-over and a wake-up per statement cost more than the
    statement (each ``call_soon_threadsafe`` writes to the loop's wake-up pipe)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name=f"journal-writer:{path.name}", daemon=True)
        self._path = path
        self._queue: queue.SimpleQueue[_Group | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        #: Statements of the loop's current turn, not handed over yet.
        self._group: _Group | None = None

    def open(self) -> None:
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def submit(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> asyncio.Future[None]:
        """A future answered once ``sql``, run over each of ``rows`` in order, is
        committed (each its own: an awaiter cancelled does not cancel the others')."""
        loop = asyncio.get_running_loop()
        group = self._group
        if group is None or group.loop is not loop:
            self._hand_over()
            group = self._group = _Group(loop)
            loop.call_soon(self._hand_over)
        future: asyncio.Future[None] = loop.create_future()
        group.statements.append((sql, rows, future))
        return future

    def _hand_over(self) -> None:
        group, self._group = self._group, None
        if group is not None:
            self._queue.put(group)

    def close(self) -> None:
        if self.is_alive():
            self._hand_over()
            self._queue.put(None)
            self.join()

    def run(self) -> None:
        try:
            connection = connect(self._path)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        with contextlib.closing(connection):
            while True:
                batch = [self._queue.get()]
                with contextlib.suppress(queue.Empty):
                    while len(batch) < 1000:
                        batch.append(self._queue.get_nowait())
                done = [group for group in batch if group is not None]
                self._apply(connection, done)
                if len(done) < len(batch):
                    return

    @staticmethod
    def _apply(connection: sqlite3.Connection, groups: list[_Group]) -> None:
        error: BaseException | None = None
        try:
            with connection:
                for group in groups:
                    for sql, rows, _ in group.statements:
                        connection.executemany(sql, rows)
        except BaseException as exc:  # reported to every writer of the batch
            error = exc
        for group in groups:
            futures = [future for _, _, future in group.statements]
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                group.loop.call_soon_threadsafe(_resolve_all, futures, error)


def _resolve_all(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # cancelled by its awaiter
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=5000")
    connection.executescript(_SCHEMA)
    connection.isolation_level = "DEFERRED"
    return connection


class Journal:
    """One journal file: written by one process, read by ``hookline dev`` at start."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._aead = AESGCM(key)
        self._writer: _Writer | None = None

    # -- lifecycle -------------------------------------------------------------
    def open_for_writing(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _Writer(self.path)
        self._writer.open()
        return self

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- encryption ------------------------------------------------------------
    def _seal(self, topic: str, key: bytes | str | None, value: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value, _aad(topic, key))

    def _open(self, topic: str, key: bytes | str | None, sealed: bytes) -> bytes:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, _aad(topic, key))

    # -- writes ----------------------------------------------------------------
    async def record_accepted(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        *,
        request_id: str,
        account_id: str,
        integration_id: str,
    ) -> None:
        """Keep an accepted webhook until :meth:`forget_accepted`."""
        await self._submit(
            "INSERT INTO accepted (topic, key, value, request_id, account_id, integration_id,"
            " journaled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                topic,
                key,
                self._seal(topic, key, value),
                request_id,
                account_id,
                integration_id,
                time.time(),
            ),
        )

    async def put_state(
        self,
        topic: str,
        partition: int,
        key: str,
        value: bytes | None,
        timestamp_ms: int | None = None,
    ) -> None:
        """The latest value of ``key`` (None: deleted) on a compacted topic, with the
        record's timestamp there. A deletion is kept as a tombstone (an empty value)
        rather than removed: another journal may hold an older value of the key (the
        partition had another worker before), which must not come back on restore."""
        await self.put_states(topic, [(partition, key, value)], timestamp_ms)

    def put_states(
        self,
        topic: str,
        writes: Sequence[tuple[int, str, bytes | None]],
        timestamp_ms: int | None = None,
    ) -> asyncio.Future[Any]:
        """:meth:`put_state` for many ``(partition, key, value)`` at once: submitted now,
        in order, as one statement over their rows, answered by the returned future once
        all are committed (a worker's batch writes hundreds: one future, not one each)."""
        if self._writer is None:
            raise RuntimeError(f"journal {self.path} is not open for writing")
        now = time.time()
        seal = self._seal
        rows = [
            (
                topic,
                partition,
                key,
                seal(topic, key, value if value is not None else _TOMBSTONE),
                now,
                timestamp_ms,
            )
            for partition, key, value in writes
        ]
        if not rows:  # nothing to wait for (a batch of duplicates writes no mark)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return self._writer.submit(_PUT_STATE, rows)

    async def forget_accepted(self, seqs: list[int]) -> None:
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            await self._submit(f"DELETE FROM accepted WHERE seq IN ({marks})", tuple(chunk))  # noqa: S608 - placeholders only

    async def forget_state_before(self, topic: str, moment: float) -> None:
        """Drop ``topic``'s entries last written before ``moment`` (expired dedup marks)."""
        await self._submit(FORGET_STATE, (topic, moment))

    async def forget_expired_marks(self, window_seconds: float) -> None:
        """Drop the dedup marks journaled more than ``window_seconds`` ago: a worker's
        own every minute, every worker journal at ``hookline dev``'s start."""
        await self.forget_state_before(DEDUP.name, time.time() - window_seconds)

    async def _submit(self, sql: str, params: tuple[Any, ...]) -> None:
        if self._writer is None:
            raise RuntimeError(f"journal {self.path} is not open for writing")
        await self._writer.submit(sql, [params])

    # -- reads (any thread; a connection of their own) --------------------------
    def accepted(
        self, limit: int | None = None, before: float | None = None, after_seq: int = 0
    ) -> list[Accepted]:
        """Journaled webhooks in acceptance order: the first ``limit`` after
        ``after_seq``, journaled before the time ``before``."""
        rows = self._accepted_rows(", topic, key, value", limit, before, after_seq)
        return [
            Accepted(*ids, topic, key, self._open(topic, key, value))
            for *ids, topic, key, value in rows
        ]

    def journaled_webhooks(
        self, limit: int | None = None, before: float | None = None, after_seq: int = 0
    ) -> list[JournaledWebhook]:
        """:meth:`accepted`'s entries without their envelopes."""
        return [JournaledWebhook(*row) for row in self._accepted_rows("", limit, before, after_seq)]

    def _accepted_rows(
        self, more: str, limit: int | None, before: float | None, after_seq: int
    ) -> list[tuple[Any, ...]]:
        """``accepted`` rows: :class:`JournaledWebhook`'s columns, then ``more`` (a
        constant: ``", topic, key, value"`` or none)."""
        if not self.path.exists():
            return []
        sql = (
            f"SELECT seq, request_id, account_id, integration_id, journaled_at{more}"  # noqa: S608 - a constant column list
            " FROM accepted WHERE seq > ?"
        )
        params: list[Any] = [after_seq]
        if before is not None:
            sql += " AND journaled_at < ?"
            params.append(before)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with contextlib.closing(connect(self.path)) as connection:
            return connection.execute(sql, params).fetchall()


def latest_states(
    journals: Sequence[Journal], *, leave_out: Collection[str] = ()
) -> Iterator[StateEntry]:
    """The state of several journals merged: per (topic, partition, key), the entry
    journaled last (on a tie, the later journal's). Several worker processes each
    journal the partitions they own; a partition that moved from one to another (a
    rebalance, a worker restarted) has its newer values in the journal of the worker that
    took it, which loaded the older ones before writing. Config first (the workers need
    it before anything else), then by topic, partition and key. Topics in ``leave_out``
    are not read (kept in the journals only: :class:`MergedJournals` reads them).

    Streamed, so memory does not grow with the entries: every lead ever journaled and a
    day of dedup marks (one per webhook). Merged in a dictionary, 200,000 of them took
    the restoring process 195 MB. Each file is read in its primary key's order and SQLite
    merges the files (attached to one connection), so nothing is sorted. Rows are read
    by whichever thread asks next (``check_same_thread=False``; one at a time)."""
    left_out = tuple(leave_out)
    holding, merged = _attached(journals)
    with contextlib.closing(merged):
        not_in = f" AND topic NOT IN ({','.join('?' * len(left_out))})" if left_out else ""
        # Config first, in a pass of its own: the workers need it before anything else.
        passes = [
            (f"topic {'=' if config else '!='} ?", (CONFIG.name,)) for config in (True, False)
        ]
        for condition, params in passes:
            arms = " UNION ALL ".join(
                f"SELECT topic, partition, key, updated_at, {index} AS journal, value,"  # noqa: S608 - schema indexes and placeholders only
                f" timestamp_ms FROM j{index}.state WHERE {condition}{not_in}"
                for index in range(len(holding))
            )
            if not arms:
                return
            rows = merged.execute(
                f"{arms} ORDER BY topic, partition, key", (*params, *left_out) * len(holding)
            )
            # The versions of one key come together, one per journal that holds it: the
            # last journaled wins (on a tie, the later journal's). A plain loop, not
            # groupby and max: they cost more than SQLite's merge itself.
            latest = None
            for row in rows:
                if latest is not None and row[:3] != latest[:3]:
                    yield _entry(holding, latest)
                elif latest is not None and (row[3], row[4]) < (latest[3], latest[4]):
                    continue
                latest = row
            if latest is not None:
                yield _entry(holding, latest)


#: Keys asked for in one query by :meth:`MergedJournals.get_many`, times the journals
#: (SQLite's older builds allow 999 parameters).
KEYS_PER_QUERY = 100


class MergedJournals:
    """Several worker journals read as one, key by key: per key, the value journaled last
    (on a tie, the later journal's), as :func:`latest_states` merges them. What a worker
    reads its dedup marks from in the embedded mode, instead of loading a day of them at
    every start. One connection with the files attached; :meth:`refresh` attaches a file
    that appeared since (a worker started for the first time)."""

    def __init__(self, list_journals: Callable[[], Sequence[Journal]]) -> None:
        self._list = list_journals
        self._paths: list[Path] = []
        self._journals: list[Journal] = []
        self._db: sqlite3.Connection | None = None

    def refresh(self) -> None:
        journals = [journal for journal in self._list() if journal.path.exists()]
        if self._db is not None and [j.path for j in journals] == self._paths:
            return
        self.close()
        self._journals, self._db = _attached(journals)
        # A file caught between its creation and its tables is attached again next time.
        self._paths = (
            [j.path for j in self._journals] if len(self._journals) == len(journals) else []
        )

    def get_many(self, topic: str, partition: int, keys: Iterable[str]) -> dict[str, bytes | None]:
        """The latest journaled value of each of ``keys`` that has one (None: deleted)."""
        if self._db is None:
            self.refresh()
        assert self._db is not None
        wanted = list(dict.fromkeys(keys))
        latest: dict[str, tuple[float, int, bytes]] = {}
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            arms = " UNION ALL ".join(
                f"SELECT key, updated_at, {index}, value FROM j{index}.state"  # noqa: S608 - schema indexes and placeholders only
                f" WHERE topic = ? AND partition = ? AND key IN ({marks})"
                for index in range(len(self._journals))
            )
            if not arms:
                return {}
            for key, updated_at, index, sealed in self._db.execute(
                arms, (topic, partition, *chunk) * len(self._journals)
            ):
                if key not in latest or (updated_at, index) > latest[key][:2]:
                    latest[key] = (updated_at, index, sealed)
        return {
            key: self._journals[index]._open(topic, key, sealed) or None
            for key, (_, index, sealed) in latest.items()
        }

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _attached(journals: Sequence[Journal]) -> tuple[list[Journal], sqlite3.Connection]:
    """A connection with each of ``journals`` attached as ``j<index>`` in the returned
    list: those that hold a state table (a worker starting for the first time creates its
    file, then its tables: a file caught in between holds nothing yet)."""
    present = [journal for journal in journals if journal.path.exists()]
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    # SQLite's builds attach 10 at most: the front and up to 8 workers (dev_workers).
    db.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, len(present))
    if (limit := db.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)) < len(present):
        db.close()
        raise RuntimeError(f"{len(present)} journals to merge; this SQLite attaches {limit}")
    holding: list[Journal] = []
    for journal in present:
        name = f"j{len(holding)}"
        db.execute(f"ATTACH DATABASE ? AS {name}", (str(journal.path),))
        query = f"SELECT 1 FROM {name}.sqlite_master WHERE type = 'table' AND name = 'state'"  # noqa: S608 - schema indexes only
        if db.execute(query).fetchone():
            holding.append(journal)
        else:
            db.execute(f"DETACH DATABASE {name}")
    return holding, db


def _entry(journals: Sequence[Journal], row: tuple[Any, ...]) -> StateEntry:
    topic, partition, key, updated_at, index, sealed, timestamp_ms = row
    value = journals[index]._open(topic, key, sealed)
    return StateEntry(topic, partition, key, value or None, timestamp_ms, updated_at)


def _aad(topic: str, key: bytes | str | None) -> bytes:
    raw = key.encode() if isinstance(key, str) else (key or b"")
    return topic.encode() + b"\x00" + raw
