"""The faust app shared by the stream processors and the executors.

Built by a factory (not a module global) so settings decide the broker and
the embedded-broker profile. Config is not a faust GlobalTable: every process
reads the compacted config topic through the same :class:`ConfigView`, whose
"caught up" test uses the Fetch high watermark (faust's table recovery relies on
ListOffsets, which the embedded broker answers wrongly; see BROKER.md)."""

from __future__ import annotations

import asyncio

import faust
import mode

from hookline.config.view import ConfigView
from hookline.kafka import MAX_MESSAGE_BYTES, ONE_RECORD_PER_BATCH
from hookline.settings import Settings


class ConfigService(mode.Service):
    """Owns the worker's config view; agents wait for :attr:`ready`."""

    def __init__(self, bootstrap: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.view = ConfigView(bootstrap)
        self.ready = asyncio.Event()

    async def on_start(self) -> None:
        await self.view.start()
        self.ready.set()

    async def on_stop(self) -> None:
        await self.view.stop()


def embedded_profile(settings: Settings) -> dict[str, object]:
    """Quicker group joins, and one record per produced batch, for the embedded tansu
    broker.

    tansu answers ListOffsets with the last batch's base offset + 1, and faust's
    table recovery reads a changelog up to that offset: the rest of the last batch
    would be lost on restart. With one record per batch that offset is the true end.
    (``recovery_buffer_size=1`` also hides it, but makes faust keep reading its own
    changelog into the live table, where an older value then overwrites a newer
    one: lost updates when a lead's commands arrive close together.)"""
    if not settings.embedded_broker:
        return {}
    return {
        "broker_session_timeout": 6,
        "broker_heartbeat_interval": 1,
        "broker_rebalance_timeout": 6,
        "producer_max_batch_size": ONE_RECORD_PER_BATCH,
    }


#: tansu answers an idle Fetch only when fetch_max_wait_ms runs out, even after new
#: records arrive (measured: p50 350 ms per hop at faust's fixed 1500 ms, 30 ms at
#: 100 ms). Apache Kafka returns as soon as data is there, so this is embedded-only.
EMBEDDED_FETCH_MAX_WAIT_MS = 100


def _shorten_fetch_wait() -> None:
    """faust hard-codes fetch_max_wait_ms=1500 for its worker consumer; the embedded
    profile lowers it on the consumer faust builds (pinned aiokafka attribute)."""
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    create = AIOKafkaConsumerThread._create_worker_consumer
    if getattr(create, "embedded_profile", False):
        return

    def create_with_short_wait(self, transport):  # type: ignore[no-untyped-def]
        consumer = create(self, transport)
        consumer._fetch_max_wait_ms = EMBEDDED_FETCH_MAX_WAIT_MS
        return consumer

    create_with_short_wait.embedded_profile = True  # type: ignore[attr-defined]
    AIOKafkaConsumerThread._create_worker_consumer = create_with_short_wait


def build_app(settings: Settings) -> faust.App:
    if settings.embedded_broker:
        _shorten_fetch_wait()
    return faust.App(
        "hookline-worker",
        broker=[f"kafka://{server}" for server in settings.bootstrap_list],
        store="memory://",
        web_enabled=settings.worker_web_port > 0,
        web_port=settings.worker_web_port or 6066,
        topic_disable_leader=True,
        producer_acks=-1,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=MAX_MESSAGE_BYTES,
        stream_wait_empty=False,
        **embedded_profile(settings),
    )
