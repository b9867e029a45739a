"""Refilling the embedded broker from the journal when ``hookline dev`` starts.

The embedded broker keeps topics in memory, so it always starts empty. Before the
worker starts, everything journaled is published again
(``core/journal.py``): config first, then the worker's state (leads with their send
intents) to the partitions it was written to, with its original timestamps (the
history sink's second copy collapses into the rows it stored the first time), then
every accepted webhook not yet known to be fully processed, in the order it was
accepted. Dedup marks are not: the embedded mode keeps them in the worker journals
only, where the workers load them from (``schemas/topics.py``,
``journal_only_when_embedded``).

Publishing a webhook again is safe whatever happened to it before the stop: its
dedup mark (restored) tells the worker this very request is read again, so it
produces the same outputs with the same command ids, and the executor applies
each command at most once (leads restored with their applied ids and intents)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from core.journal import Journal, StateEntry, latest_states
from core.kafka import enqueue_records
from schemas.topics import CONFIG, JOURNAL_ONLY_WHEN_EMBEDDED

log = logging.getLogger(__name__)

#: State entries read (and decrypted) at a time while restoring.
RESTORE_PAGE = 5000


@dataclass
class Restored:
    config: int = 0
    state: int = 0
    webhooks: int = 0

    def __str__(self) -> str:
        return (
            f"{self.config} config records, {self.state} worker state entries and "
            f"{self.webhooks} unfinished webhooks"
        )


def _topic_partition(entry: StateEntry) -> tuple[str, int]:
    return entry.topic, entry.partition


async def restore(front: Journal, workers: list[Journal], producer: AIOKafkaProducer) -> Restored:
    """Refill the broker from the front process's journal and every worker's."""
    restored = Restored()
    states = latest_states([front, *workers], leave_out=JOURNAL_ONLY_WHEN_EMBEDDED)

    def next_page() -> list[StateEntry]:
        return list(itertools.islice(states, RESTORE_PAGE))

    # A page at a time, read (and decrypted) in a thread while the last one is produced,
    # in record batches built here: the entries come grouped by topic and partition.
    acknowledgements: list[asyncio.Future[Any]] = []
    page = await asyncio.to_thread(next_page)
    while page:
        following = asyncio.ensure_future(asyncio.to_thread(next_page))
        for (topic, partition), entries in itertools.groupby(page, _topic_partition):
            records = [(e.key.encode(), e.value, e.timestamp_ms) for e in entries]
            acknowledgements += await enqueue_records(producer, topic, partition, records)
            if topic == CONFIG.name:
                restored.config += len(records)
            else:
                restored.state += len(records)
        page = await following
    await asyncio.gather(*acknowledgements)
    for accepted in await asyncio.to_thread(front.accepted):
        await producer.send(accepted.topic, key=accepted.key, value=accepted.value)
        restored.webhooks += 1
    await producer.flush()
    log.info(
        "restored the embedded broker from the journal",
        extra={"config": restored.config, "state": restored.state, "webhooks": restored.webhooks},
    )
    return restored
