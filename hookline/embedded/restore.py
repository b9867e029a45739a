"""Refilling an empty embedded broker from ClickHouse.

The embedded broker keeps topics in memory, so after a restart config and lead
state exist only in ClickHouse (the audit log and the lead mirror). They are
written back with their original timestamps, so the sink's re-delivery of them
collapses into the rows already stored, and one record per batch, so the
worker's table recovery reads the lead changelog to its true end (tansu's
ListOffsets counts only to the start of the last batch; BROKER.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from aiokafka import AIOKafkaProducer

from hookline.history.store import HistoryStore
from hookline.kafka import ONE_RECORD_PER_BATCH, new_producer
from schemas.leads import LeadState
from schemas.topics import CONFIG, LEADS

log = logging.getLogger(__name__)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def restore_producer(bootstrap: str) -> AIOKafkaProducer:
    return new_producer(bootstrap, max_batch_size=ONE_RECORD_PER_BATCH)


async def restore(store: HistoryStore, producer: AIOKafkaProducer) -> dict[str, int]:
    restored = {"config": 0, "leads": 0}
    for row in await store.latest_config():
        if row["deleted"]:
            continue
        await producer.send(
            CONFIG.name,
            key=row["key"].encode(),
            value=row["record_json"].encode(),
            timestamp_ms=_ms(row["changed_at"]),
        )
        restored["config"] += 1
    for row in await store.all_leads():
        lead = LeadState.model_validate(row)
        await producer.send(
            LEADS.name,
            key=f"{lead.account_id}:{lead.phone}".encode(),
            value=LEADS.encode(lead),
            timestamp_ms=_ms(lead.updated_at),
        )
        restored["leads"] += 1
    await producer.flush()
    log.info("restored embedded broker from ClickHouse", extra=restored)
    return restored
