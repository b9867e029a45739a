"""Writes config records (and tombstones) to the config topic, then waits until
the local view has applied them, so an API client reads its own writes. In
embedded mode the record is journaled too before the API answers (the embedded
broker forgets everything when it stops: ``core/journal.py``)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from core.config.view import ConfigView
from core.journal import Journal
from schemas.config import ConfigRecord
from schemas.topics import CONFIG


class ConfigWriter:
    def __init__(
        self, producer: AIOKafkaProducer, view: ConfigView, journal: Journal | None = None
    ) -> None:
        self._producer = producer
        self._view = view
        self._journal = journal

    async def put(self, record: ConfigRecord) -> None:
        await self._send(record.key, CONFIG.encode(record))

    async def delete(self, key: str) -> None:
        await self._send(key, None)

    async def _send(self, key: str, value: bytes | None) -> None:
        metadata = await self._producer.send_and_wait(CONFIG.name, key=key.encode(), value=value)
        if self._journal is not None:
            await self._journal.put_state(
                CONFIG.name, metadata.partition, key, value, metadata.timestamp
            )
        await self._view.wait_applied(metadata.partition, metadata.offset)
