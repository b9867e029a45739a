"""Deliveries a gateway process answered recently: delivery key -> the request id that
carried it first, for a fixed window (the clock is injected), and the deliveries being
written right now.

Only an optimisation: a retry that reaches this process again is answered without a
second write. Retries that arrive at once (platforms fire them in bursts) wait for the
write in flight instead of making their own; deliveries that reach different processes
are both written, and the workers' dedup table (``streams/agents.py``) is the authority."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable


class RecentDeliveries:
    """A TTL cache with a bounded size: entries expire ``ttl`` seconds after they were
    added; beyond ``max_entries`` the oldest are dropped."""

    def __init__(
        self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        #: key -> (expires at, first request id); insertion order = expiry order.
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        #: key -> set once the write of that delivery in flight has ended, either way.
        self._writing: dict[str, asyncio.Event] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now:
                return
            del self._entries[key]

    def get(self, key: str) -> str | None:
        """The first request id of this delivery, if seen inside the window."""
        now = self.clock()
        self._expire(now)
        entry = self._entries.get(key)
        return entry[1] if entry and entry[0] > now else None

    def add(self, key: str, request_id: str) -> None:
        """Remember a delivery that was written; a key already there keeps its first id."""
        now = self.clock()
        self._expire(now)
        if key in self._entries:
            return
        self._entries[key] = (now + self.ttl, request_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def claim(self, key: str) -> _Claim:
        """``async with recent.claim(key) as first``: the first request id if this delivery
        was written; else None, and the caller holds the key until the block ends: it
        writes, and calls :meth:`add` on success.

        A second caller with the same key waits for the holder's outcome: the first id
        once it was written, or the key itself when the write failed (a 503 the platform
        will retry must not make the other copies fail too)."""
        return _Claim(self, key)


class _Claim:
    """:meth:`RecentDeliveries.claim`'s block. A class rather than an
    ``asynccontextmanager`` generator: entered for every webhook, and cheaper so."""

    __slots__ = ("_done", "_key", "_recent")

    def __init__(self, recent: RecentDeliveries, key: str) -> None:
        self._recent = recent
        self._key = key
        self._done: asyncio.Event | None = None

    async def __aenter__(self) -> str | None:
        writing = self._recent._writing
        while (pending := writing.get(self._key)) is not None:
            await pending.wait()
        first = self._recent.get(self._key)
        if first is not None:
            return first
        self._done = writing[self._key] = asyncio.Event()
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        if self._done is not None:
            del self._recent._writing[self._key]
            self._done.set()


def delivery_key(integration_id: str, delivery_id: str) -> str:
    return f"{integration_id}\x00{delivery_id}"
