"""Store values kept decoded between a worker's batches, so a lead read again is not
decoded again.

A repeat lead (a buyer's purchase, then its approval, its refund, ...) remembers the
outcomes of its last 500 commands (``schemas/leads.py``), and each of its webhooks read
it whole from the store and wrote it back whole: at 300 outcomes, 295 µs to decode it
and 432 to encode it again (its outcomes were new objects, so ``lead_json``'s cache of
their JSON missed; 48 µs when it hits), against 7 and 4 µs for a new lead. With 100
webhooks a lead the workers processed 830 webhooks/s against 2,053 with 10 a lead
(``bench/e2e.py --backlog --leads``).

An entry is the value's bytes as stored and a copy of the value they decode to: what a
worker wrote itself (the common case: it owns the lead's partition and wrote its last
version) or decoded last. A read hands out a copy of the entry only when the bytes it
read are the entry's, byte for byte, so what is stored always wins: a version written
by another worker, or a write that never reached the store, is decoded as before. The
entries are bounded by the bytes they hold; the least recently used go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

V = TypeVar("V")

#: The stored bytes kept, all entries together. Decoded, a lead takes about 7 times its
#: bytes more (tracemalloc: 14 KB for a lead of 20 outcomes, 2 KB; 323 KB for one of
#: 500, 46 KB), so a worker holds about 28 MB more at most: some 90 leads of 500
#: outcomes, or about 2,000 of 20.
BUDGET_BYTES = 4 * 1024 * 1024
#: Smaller values are not kept: a new lead (480 B) decodes in 7 µs, and thousands kept
#: would only give the garbage collector more to walk. A lead reaches this at about 20
#: outcomes, where its decode takes about 26 µs and a copy 3.
MIN_BYTES = 2048


class DecodedValues(Generic[V]):
    """``(partition, key) -> (stored bytes, decoded value)``, least recently used
    first. ``copy`` makes a value that can be changed without touching the one kept."""

    def __init__(
        self,
        copy: Callable[[V], V],
        budget_bytes: int = BUDGET_BYTES,
        min_bytes: int = MIN_BYTES,
    ) -> None:
        self._copy = copy
        self._budget = budget_bytes
        self._min = min_bytes
        self._entries: OrderedDict[tuple[int, str], tuple[bytes, V]] = OrderedDict()
        self._bytes = 0

    def get(self, partition: int, key: str, raw: bytes) -> V | None:
        """A copy of the value ``raw`` decodes to if it is kept, else None."""
        entry = self._entries.get((partition, key))
        if entry is None or entry[0] != raw:
            return None
        self._entries.move_to_end((partition, key))
        return self._copy(entry[1])

    def put(self, partition: int, key: str, raw: bytes | None, value: V | None) -> None:
        """Keep a copy of ``value``, which ``raw`` decodes to (None: deleted)."""
        old = self._entries.pop((partition, key), None)
        if old is not None:
            self._bytes -= len(old[0])
        if raw is None or value is None or not self._min <= len(raw) <= self._budget:
            return
        self._entries[(partition, key)] = (raw, self._copy(value))
        self._bytes += len(raw)
        while self._bytes > self._budget:
            _, (dropped, _) = self._entries.popitem(last=False)
            self._bytes -= len(dropped)

    def drop(self, partitions: Iterable[int]) -> None:
        """Forget the values of ``partitions`` (revoked: another worker writes them next;
        a read would find other bytes anyway, this frees the memory)."""
        gone = set(partitions)
        for entry_key in [k for k in self._entries if k[0] in gone]:
            self._bytes -= len(self._entries.pop(entry_key)[0])

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes
