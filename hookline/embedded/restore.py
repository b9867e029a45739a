"""Refilling the embedded broker from the journal when ``hookline dev`` starts.

The embedded broker keeps topics in memory, so it always starts empty. Before the
worker starts, everything journaled is published again
(``core/journal.py``): config first, then every accepted webhook not yet known to be
fully processed, in the order it was accepted.

The workers' state is not, as a rule: they read it in their journals
(``store_in_journals_when_embedded`` in ``schemas/topics.py``). Dedup marks are never
published (nothing else reads them). Leads are read by the history sink too, into
ClickHouse: they are published again (to the partitions they were written to, with
their original timestamps, so the sink's second copy collapses into the rows it stored
the first time) unless the last stop left the mark that ClickHouse had them all
(:func:`mark_all_stored`): a recycle or Ctrl-C whose workers stopped cleanly, never
having died, and whose sink then stored every lead the broker held. After a
``kill -9`` there is no mark: a worker killed between journaling a lead and producing
it leaves one only the journal has. Then the leads ClickHouse holds at their journaled
version (or a later one) are left out, and only the rest are published: what was in
flight at the kill, or not stored yet, not every lead ever (which grew the new broker
by the size of the lead list and had the sink store it all again).

Publishing a webhook again is safe whatever happened to it before the stop: its
dedup mark (in the worker journals) tells the worker this very request is read again,
so it produces the same outputs with the same command ids, and the executor applies
each command at most once (leads, in the journals too, with the outcomes they remember,
and send intents)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from core.journal import Journal, StateEntry, latest_states
from core.kafka import enqueue_records
from schemas.topics import (
    CONFIG,
    LEADS,
    NOT_PRODUCED_WHEN_EMBEDDED,
    STORES_IN_JOURNALS_WHEN_EMBEDDED,
)

log = logging.getLogger(__name__)

#: State entries read (and decrypted) at a time while restoring.
RESTORE_PAGE = 5000


@dataclass
class Restored:
    config: int = 0
    state: int = 0
    webhooks: int = 0
    #: Leads left out because ClickHouse holds them at their journaled version.
    stored_leads: int = 0

    def __str__(self) -> str:
        stored = f" ({self.stored_leads} leads in ClickHouse left out)" if self.stored_leads else ""
        return (
            f"{self.config} config records, {self.state} worker state entries{stored} and "
            f"{self.webhooks} unfinished webhooks"
        )


#: How a lead's JSON ends: ``version`` is LeadState's last field as pydantic writes it.
_VERSION_FIELD = b',"version":'


def lead_version(value: bytes) -> int:
    """A journaled lead's version: read at the end of its JSON (a restore reads millions),
    else from the whole of it. Strings escape their quotes, and ``version`` is the last
    field, so the last ``,"version":`` is the lead's own; anything else fails ``int``."""
    at = value.rfind(_VERSION_FIELD)
    if at >= 0 and value.endswith(b"}"):
        try:
            return int(value[at + len(_VERSION_FIELD) : -1])
        except ValueError:
            pass
    return int(json.loads(value)["version"])


def _topic_partition(entry: StateEntry) -> tuple[str, int]:
    return entry.topic, entry.partition


#: The mark :func:`mark_all_stored` leaves beside the journals.
ALL_STORED_FILE = "all-state-in-clickhouse"


def mark_all_stored(directory: Path) -> None:
    """Say that ClickHouse holds every journaled state entry another reader needs (the
    leads): the next restore need not publish them. Only once nothing can write them."""
    (directory / ALL_STORED_FILE).touch()


def take_all_stored_mark(directory: Path) -> bool:
    """Whether the last stop left the mark; it is gone after this (before any new write:
    a later ``kill -9`` must not find it)."""
    try:
        (directory / ALL_STORED_FILE).unlink()
    except FileNotFoundError:
        return False
    return True


async def restore(
    front: Journal,
    workers: list[Journal],
    producer: AIOKafkaProducer,
    all_stored: bool = False,
    stored_leads: Mapping[str, int] | None = None,
) -> Restored:
    """Refill the broker from the front process's journal and every worker's;
    ``all_stored``: :func:`take_all_stored_mark`. ``stored_leads``: the version of each
    lead ClickHouse holds, by key (``HistoryStore.lead_versions``), when it is not."""
    restored = Restored()
    leave_out = STORES_IN_JOURNALS_WHEN_EMBEDDED if all_stored else NOT_PRODUCED_WHEN_EMBEDDED
    states = latest_states([front, *workers], leave_out=leave_out)
    stored = stored_leads or {}

    def needed(entry: StateEntry) -> bool:
        if entry.topic != LEADS.name or entry.value is None or entry.key not in stored:
            return True
        return lead_version(entry.value) > stored[entry.key]

    def next_page() -> list[StateEntry]:
        page = []
        for entry in states:
            if not needed(entry):
                restored.stored_leads += 1
                continue
            page.append(entry)
            if len(page) == RESTORE_PAGE:
                break
        return page

    # A page at a time, read (and decrypted) in a thread while the last one is produced,
    # in record batches built here: the entries come grouped by topic and partition.
    acknowledgements: list[asyncio.Future[Any]] = []
    following = asyncio.ensure_future(asyncio.to_thread(next_page))
    try:
        while page := await following:
            following = asyncio.ensure_future(asyncio.to_thread(next_page))
            for (topic, partition), entries in itertools.groupby(page, _topic_partition):
                records = [(e.key.encode(), e.value, e.timestamp_ms) for e in entries]
                acknowledgements += await enqueue_records(producer, topic, partition, records)
                if topic == CONFIG.name:
                    restored.config += len(records)
                else:
                    restored.state += len(records)
    finally:
        # A produce failed: the thread may still be reading the next page. Let it finish
        # (its outcome retrieved: the error raised is the produce's), then close the merge.
        await asyncio.wait([following])
        if not following.cancelled():
            following.exception()
        states.close()
    await asyncio.gather(*acknowledgements)
    for accepted in await asyncio.to_thread(front.accepted):
        await producer.send(accepted.topic, key=accepted.key, value=accepted.value)
        restored.webhooks += 1
    await producer.flush()
    log.info(
        "restored the embedded broker from the journal",
        extra={
            "config": restored.config,
            "state": restored.state,
            "webhooks": restored.webhooks,
            "leads_in_clickhouse": restored.stored_leads,
            "all_state_stored_before": all_stored,
        },
    )
    return restored
