"""The worker's store values on local disk: ``partition -> key -> encoded value`` in a
private temporary SQLite database.

Why on disk: a worker owns every lead of its partitions and every dedup mark of the
window (a day). Held in memory, that grew without bound with distinct leads (the soak
took two workers from 185 to 375 MB over 100,000 leads; a day of marks at a sustained
100 webhooks/s is over a GB). Here memory is SQLite's page cache (:data:`CACHE_KIB`)
and the writes held for the next transaction (below, at most :data:`PENDING_BYTES`), and
a read or a write costs about 5 µs.

Why a *private temporary* database (``sqlite3.connect("")``): the values are a cache of
the compacted topic, rebuilt from it whenever a partition is assigned, so nothing in
the file is needed after the process ends. SQLite unlinks such a file as soon as it
creates it: it is gone with the process, even after SIGKILL, and no other process
(nor a later one) ever reads it. No journal and no fsync either: a crash loses the
cache, which the topic rebuilds.

A store's acknowledged writes are held in memory until the next write or read
(:meth:`DiskValues.put_soon`): a transaction costs more than its rows, and most of a
worker's writes come one at a time (a send's intent) or are read back only by the next
batch.

The row order is the write order (``INSERT OR REPLACE`` gives a rewritten key a new
rowid): :meth:`DiskValues.prune_oldest` reads from the oldest write.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Sequence

#: SQLite's page cache per store: the part of the values in memory.
CACHE_KIB = 16 * 1024
#: Keys asked for in one query by :meth:`DiskValues.get_many` (SQLite allows 32,766
#: parameters since 3.32; the Python build's own may be older).
KEYS_PER_QUERY = 500
#: Writes :meth:`DiskValues.put_soon` holds at most: rows (a worker's batch is up to 500
#: events) and bytes of values (a repeat lead remembering 500 outcomes is tens of KB).
PENDING_ROWS = 2000
PENDING_BYTES = 8 * 1024 * 1024

_REPLACE = "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)"
_DELETE = "DELETE FROM kv WHERE part = ? AND key = ?"


class DiskValues:
    def __init__(self) -> None:
        # isolation_level=None: each statement is its own transaction unless one is begun.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE kv (part INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
            " PRIMARY KEY (part, key))"
        )
        # A partition's rows in write order: what a prune reads, and what a revocation drops.
        self._db.execute("CREATE INDEX kv_written ON kv (part)")
        #: Writes of :meth:`put_soon` not in SQLite yet, in write order (None: a deletion),
        #: and the bytes of their values.
        self._pending: dict[tuple[int, str], bytes | None] = {}
        self._pending_bytes = 0

    def get_many(self, partition: int, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored values of ``keys`` (those not stored are left out), a few queries
        for a batch: a query costs more than finding a key in it (a worker's batch
        asks for hundreds)."""
        self._flush()
        wanted = list(dict.fromkeys(keys))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, value FROM kv WHERE part = ? AND key IN ({marks})"  # noqa: S608 - placeholders only
            found.update(self._db.execute(query, (partition, *chunk)))
        return found

    def put_many(self, partition: int, values: Sequence[tuple[str, bytes | None]]) -> None:
        """Write ``(key, value)`` rows (None deletes the key) in one transaction, in order:
        a partition's load."""
        self._flush()
        self._write([(partition, key, value) for key, value in values])

    def put_soon(self, partition: int, values: Sequence[tuple[str, bytes | None]]) -> None:
        """:meth:`put_many`, written to SQLite with the next writes or before the next
        read (every other method reads what this wrote). A transaction has a fixed cost,
        larger than a row's (about 25 µs with the page cache above, measured), and the
        executor writes a send's intent alone, then the same lead again with its batch:
        held here, the intent is replaced before it is ever written, and a batch's writes
        share one transaction. At most :data:`PENDING_ROWS` and :data:`PENDING_BYTES`
        are held."""
        pending = self._pending
        for key, value in values:
            replaced = pending.pop((partition, key), None)  # a rewritten key moves to the end
            pending[(partition, key)] = value
            self._pending_bytes += len(value or b"") - len(replaced or b"")
        if len(pending) >= PENDING_ROWS or self._pending_bytes >= PENDING_BYTES:
            self._flush()

    def _flush(self) -> None:
        """Write what :meth:`put_soon` holds."""
        if self._pending:
            rows = [(partition, key, value) for (partition, key), value in self._pending.items()]
            self._pending, self._pending_bytes = {}, 0
            self._write(rows)

    def _write(self, rows: Sequence[tuple[int, str, bytes | None]]) -> None:
        """``(partition, key, value)`` rows in one transaction, in order: each run of
        writes, or of deletions, as one statement run over its rows. The rows come ready
        (nothing of the caller's runs inside the transaction): with no rollback journal
        a ROLLBACK is undefined, and only SQLite itself can fail here, which stops the
        worker."""
        self._db.execute("BEGIN")
        for deleting, run in itertools.groupby(rows, key=lambda row: row[2] is None):
            if deleting:
                self._db.executemany(_DELETE, [(partition, key) for partition, key, _ in run])
            else:
                self._db.executemany(_REPLACE, run)
        self._db.execute("COMMIT")

    def drop(self, partition: int) -> None:
        """Forget every value of ``partition``."""
        self._flush()
        self._db.execute("DELETE FROM kv WHERE part = ?", (partition,))

    def count(self, partition: int) -> int:
        self._flush()
        query = "SELECT count(*) FROM kv WHERE part = ?"
        (count,) = self._db.execute(query, (partition,)).fetchone()
        return int(count)

    def prune_oldest(self, partition: int, keep: Callable[[bytes], bool]) -> int:
        """Delete ``partition``'s values from the oldest written while ``keep`` rejects
        them; stop at the first kept. Returns how many went."""
        self._flush()
        last_stale, dropped = None, 0
        rows = self._db.execute(
            "SELECT rowid, value FROM kv WHERE part = ? ORDER BY rowid", (partition,)
        )
        for rowid, value in rows:
            if keep(value):
                break
            last_stale, dropped = rowid, dropped + 1
        rows.close()
        if last_stale is not None:
            self._db.execute(
                "DELETE FROM kv WHERE part = ? AND rowid <= ?", (partition, last_stale)
            )
        return dropped

    def close(self) -> None:
        self._db.close()
