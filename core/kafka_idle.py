"""Embedded profile: a consumer with nothing to read asks the broker less often.

The embedded broker (tansu 0.6.0) holds a Fetch that finds nothing for its whole max
wait, even when records arrive meanwhile, so the embedded profile's consumers wait
briefly to keep each hop short: the worker's 25 ms (``streams/app.py``), the sink's
and config views' 100 ms. And each empty Fetch costs that broker about 1 ms of CPU for
8 partitions: 4 idle consumers of 8 partitions took it 17.8% of a core at 25 ms and
4.2% at 100 ms. An idle ``hookline dev`` therefore kept 28-30% of a core busy polling:
the broker 12-13%, each worker 7% (``bench/idle.py``; 14-16% with this).

A fetcher that has read nothing for :data:`IDLE_AFTER_SECONDS` asks with
``Settings.embedded_idle_fetch_wait_ms`` instead of its own wait, and goes back to its
own with the first records it gets. The price: the first records after a quiet spell
wait up to that long at each hop. It stays below 250 ms because tansu serves a longer
wait in halves, reading every partition again each time.

Apache Kafka answers a Fetch as soon as records arrive, so a consumer there can wait
long at no cost in latency (the Java client's ``fetch.max.wait.ms`` is 500): this is
the embedded profile's alone (``core/embedded_fetch.py``)."""

from __future__ import annotations

import time
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

from core.settings import Settings

#: Quiet this long (seconds without a record) before a fetcher waits longer. Far above
#: the gaps of a steady load (at 100 webhooks/s a worker reads records every few ms),
#: so only a pipeline with nothing to do slows its polling down.
IDLE_AFTER_SECONDS = 5.0


class _Pace:
    """One fetcher's waits: its own while records come, ``idle_ms`` once quiet."""

    def __init__(self, busy_ms: int, idle_ms: int) -> None:
        self.busy_ms = busy_ms
        self.idle_ms = max(idle_ms, busy_ms)
        self.last_records = time.monotonic()

    def wait_after(self, got_records: bool) -> int:
        """The max wait of the next Fetch, after one that did or did not get records."""
        now = time.monotonic()
        if got_records:
            self.last_records = now
            return self.busy_ms
        if now - self.last_records >= IDLE_AFTER_SECONDS:
            return self.idle_ms
        return self.busy_ms


def apply(settings: Settings) -> None:
    """On the embedded broker, slow down the polling of this process's idle fetchers
    (once; later calls do nothing; ``embedded_idle_fetch_wait_ms=0`` leaves them)."""
    idle_ms = settings.embedded_idle_fetch_wait_ms
    if not settings.embedded_broker or not idle_ms:
        return
    proc = Fetcher._proc_fetch_request
    if getattr(proc, "hookline_idle_pace", False):
        return

    async def proc_then_pace(self: Any, assignment: Any, node_id: int, request: Any) -> bool:
        # aiokafka answers True when the Fetch added records (or an error to raise),
        # and builds each next Fetch with the fetcher's ``_fetch_max_wait_ms``.
        got = await proc(self, assignment, node_id, request)
        pace = self.__dict__.get("_hookline_pace")
        if pace is None:
            pace = self._hookline_pace = _Pace(self._fetch_max_wait_ms, idle_ms)
        self._fetch_max_wait_ms = pace.wait_after(got)
        return got

    proc_then_pace.hookline_idle_pace = True  # type: ignore[attr-defined]
    Fetcher._proc_fetch_request = proc_then_pace  # type: ignore[method-assign]
