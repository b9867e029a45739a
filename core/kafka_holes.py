"""Embedded profile: a fetched partition is read only up to its first hole.

The embedded broker (tansu 0.6.0) can answer a Fetch with a hole in a partition that
several producers write at once: a batch whose offsets come after one that is not
visible yet (measured: 8 producers writing one partition, a consumer tailing it saw
1 to 8 holes of two offsets in every run of 16,000 records; read again afterwards,
the partition held every offset). aiokafka takes the records after the hole as the
next ones and moves its position past it, so the missing records are never read,
and faust commits past them as a gap (``Consumer._add_gap``): webhooks answered 200
whose commands were never applied, with nothing logged. It showed in
``bench/e2e.py --rate 1000``: both workers write every commands partition.

Apache Kafka never lets a consumer read past a record it cannot read yet (the high
watermark only moves past records every replica has), so this is the embedded
profile's alone (``core/embedded_fetch.py`` applies it in every process that may
talk to the embedded broker), and :func:`apply` does nothing on another broker.

:func:`apply` makes aiokafka's ``PartitionRecords`` read the batches of a fetched
partition through :class:`_UpToHole`: the first batch must hold the fetch offset and
each next one must start where the last ended. At a hole the records before it are
handed over and the position stays at the hole, so the next Fetch reads from there.
A hole still open after :data:`HOLE_WAIT_SECONDS` is read past with an error logged
(and counted): never seen in the measurements, where a hole filled in milliseconds,
but a partition must not stop for ever on one. Holes are legitimate in compacted
topics on Apache Kafka, which is one more reason this is never applied there."""

from __future__ import annotations

import logging
import time
from typing import Any

from aiokafka.consumer import fetcher
from aiokafka.structs import TopicPartition

from core import metrics
from core.settings import Settings

log = logging.getLogger(__name__)

#: How long a consumer waits for a hole to fill before it reads past it.
HOLE_WAIT_SECONDS = 30.0

#: Since when (monotonic seconds) each open hole, by partition and first missing
#: offset, has been waited on; shared by the process's consumers, as the hole is the
#: broker's. An entry goes when the hole fills or is read past.
_waiting: dict[tuple[TopicPartition, int], float] = {}


class _UpToHole:
    """The batches of one fetched partition up to the first hole (the two methods of
    aiokafka's ``MemoryRecords`` that ``PartitionRecords`` calls)."""

    def __init__(self, records: Any, tp: TopicPartition, fetch_offset: int) -> None:
        self._records = records
        self._tp = tp
        self._expected = fetch_offset
        self._held: Any = None
        self._ended = False

    def has_next(self) -> bool:
        if self._ended:
            return False
        if self._held is not None:
            return True
        if not self._records.has_next():
            return False
        batch = self._records.next_batch()
        if batch.base_offset > self._expected and not self._waited_out(batch.base_offset):
            self._ended = True
            return False
        self._held = batch
        return True

    def next_batch(self) -> Any:
        if not self.has_next():
            return None
        batch, self._held = self._held, None
        if _waiting:
            _waiting.pop((self._tp, self._expected), None)  # filled, if it was a hole
        self._expected = max(self._expected, batch.next_offset)
        return batch

    def _waited_out(self, found: int) -> bool:
        """Whether to read past the hole before ``found`` (waited on long enough)."""
        now = time.monotonic()
        key = (self._tp, self._expected)
        since = _waiting.setdefault(key, now)
        if now - since < HOLE_WAIT_SECONDS:
            return False
        _waiting.pop(key, None)  # pop: a worker's faust consumer runs on its own thread
        metrics.FETCH_HOLES_SKIPPED.inc()
        log.error(
            "offsets never appeared in a fetched partition; reading past them",
            extra={
                "topic": self._tp.topic,
                "partition": self._tp.partition,
                "missing_from": self._expected,
                "missing_to": found - 1,
                "waited_s": round(now - since, 1),
            },
        )
        return True


def apply(settings: Settings) -> None:
    """On the embedded broker, read every fetched partition of this process up to its
    first hole (once; later calls do nothing)."""
    if not settings.embedded_broker:
        return
    records_class = fetcher.PartitionRecords
    if getattr(records_class.__init__, "hookline_up_to_hole", False):
        return
    init = records_class.__init__

    def init_up_to_hole(
        self: Any, tp: TopicPartition, records: Any, aborted: Any, fetch_offset: int, *rest: Any
    ) -> None:
        init(self, tp, _UpToHole(records, tp, fetch_offset), aborted, fetch_offset, *rest)

    init_up_to_hole.hookline_up_to_hole = True  # type: ignore[attr-defined]
    records_class.__init__ = init_up_to_hole  # type: ignore[method-assign]
