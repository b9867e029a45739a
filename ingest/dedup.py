"""Deliveries a gateway process answered recently: delivery key -> the request id that
carried it first, for a fixed window. Pure (the clock is injected).

Only an optimisation: a retry that reaches this process again is answered without a
second write. Deliveries that reach different processes, or arrive at once, are both
written, and the workers' dedup table (``streams/agents.py``) is the authority."""

from __future__ import annotations

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


def delivery_key(integration_id: str, delivery_id: str) -> str:
    return f"{integration_id}\x00{delivery_id}"
