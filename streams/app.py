"""The faust app shared by the stream processors and the executors.

Built by a factory (not a module global) so settings decide the broker and the
embedded-broker profile. Faust runs the consumer group, the agents and offset
commits; config, the producer and state live in :mod:`core.worker.services`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import faust

from core import embedded_fetch
from core.kafka import MAX_MESSAGE_BYTES
from core.settings import Settings
from streams import faust_eager, faust_fix, faust_tables_wait


def embedded_profile(settings: Settings) -> dict[str, object]:
    """Quicker group joins on the embedded tansu broker (it takes session_timeout/2 to
    form a group: faust's defaults make a start-up about 30 s, BROKER.md)."""
    if not settings.embedded_broker:
        return {}
    return {
        "broker_session_timeout": 6,
        "broker_heartbeat_interval": 1,
        "broker_rebalance_timeout": 6,
    }


#: tansu answers an idle Fetch only when fetch_max_wait_ms runs out, even after new
#: records arrive (measured: p50 350 ms per hop at faust's fixed 1500 ms, 30 ms at
#: 100 ms). Apache Kafka returns as soon as data is there, so this is embedded-only.
EMBEDDED_FETCH_MAX_WAIT_MS = 25


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
    faust_fix.apply()  # faust 0.15.3 skips records when a worker starts on a backlog
    faust_eager.apply()  # and spends four tasks on handing over each record
    faust_tables_wait.apply()  # and waits a second at each start for late tables
    if settings.embedded_broker:
        _shorten_fetch_wait()
    embedded_fetch.apply(settings)  # the embedded broker's fetch quirks (holes, cost)
    return faust.App(
        "hookline-worker",
        broker=[f"kafka://{server}" for server in settings.bootstrap_list],
        store="memory://",
        # Faust makes a data directory even for in-memory stores; keep it out of the
        # working directory (the worker's state lives in compacted topics), one per
        # worker process.
        datadir=str(Path(tempfile.gettempdir()) / f"faust-{{conf.id}}-{settings.worker_index}"),
        web_enabled=settings.worker_web_port > 0,
        web_port=settings.worker_web_port or 6066,
        topic_disable_leader=True,
        producer_acks=-1,
        producer_max_request_size=MAX_MESSAGE_BYTES,
        consumer_max_fetch_size=MAX_MESSAGE_BYTES,
        # On revocation, wait until the events in hand are done (their outputs and
        # state writes acknowledged) before the partition goes to another worker,
        # which loads the state from the broker.
        stream_wait_empty=True,
        **embedded_profile(settings),
    )
