"""The worker's store values on local disk: ``partition -> key -> encoded value`` in a
private temporary SQLite database.

Why on disk: a worker owns every lead of its partitions and every dedup mark of the
window (a day). Held in memory, that grew without bound with distinct leads (the soak
took two workers from 185 to 375 MB over 100,000 leads; a day of marks at a sustained
100 webhooks/s is over a GB). Here memory is SQLite's page cache (:data:`CACHE_KIB`),
and a read or a write costs about 5 µs.

Why a *private temporary* database (``sqlite3.connect("")``): the values are a cache of
the compacted topic, rebuilt from it whenever a partition is assigned, so nothing in
the file is needed after the process ends. SQLite unlinks such a file as soon as it
creates it: it is gone with the process, even after SIGKILL, and no other process
(nor a later one) ever reads it. No journal and no fsync either: a crash loses the
cache, which the topic rebuilds.

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

_GET = "SELECT value FROM kv WHERE part = ? AND key = ?"
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

    def get(self, partition: int, key: str) -> bytes | None:
        row = self._db.execute(_GET, (partition, key)).fetchone()
        return None if row is None else row[0]

    def get_many(self, partition: int, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored values of ``keys`` (those not stored are left out), a few queries
        for a batch: a query costs more than finding a key in it (a worker's batch
        asks for hundreds)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), KEYS_PER_QUERY):
            chunk = wanted[start : start + KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, value FROM kv WHERE part = ? AND key IN ({marks})"  # noqa: S608 - placeholders only
            found.update(self._db.execute(query, (partition, *chunk)))
        return found

    def put(self, partition: int, key: str, value: bytes | None) -> None:
        """Write ``value``; None deletes the key."""
        if value is None:
            self._db.execute(_DELETE, (partition, key))
        else:
            self._db.execute(_REPLACE, (partition, key, value))

    def put_many(self, partition: int, values: Sequence[tuple[str, bytes | None]]) -> None:
        """:meth:`put` for a batch, in one transaction, in order: each run of writes, or
        of deletions, as one statement run over its rows. The values come ready (nothing
        of the caller's runs inside the transaction): with no rollback journal a ROLLBACK
        is undefined, and only SQLite itself can fail here, which stops the worker."""
        self._db.execute("BEGIN")
        for deleting, run in itertools.groupby(values, key=lambda row: row[1] is None):
            if deleting:
                self._db.executemany(_DELETE, [(partition, key) for key, _ in run])
            else:
                self._db.executemany(_REPLACE, [(partition, key, value) for key, value in run])
        self._db.execute("COMMIT")

    def drop(self, partition: int) -> None:
        """Forget every value of ``partition``."""
        self._db.execute("DELETE FROM kv WHERE part = ?", (partition,))

    def count(self, partition: int) -> int:
        query = "SELECT count(*) FROM kv WHERE part = ?"
        (count,) = self._db.execute(query, (partition,)).fetchone()
        return int(count)

    def prune_oldest(self, partition: int, keep: Callable[[bytes], bool]) -> int:
        """Delete ``partition``'s values from the oldest written while ``keep`` rejects
        them; stop at the first kept. Returns how many went."""
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
