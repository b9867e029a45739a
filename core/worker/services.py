"""What the worker's agents share, with one lifecycle (a faust/mode service the
worker starts before the agents run and stops after them): the config view, the
producer of every output, the state stores and the HTTP session of the message
channels. Agents wait for :attr:`WorkerServices.ready`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import faust
import mode
from aiokafka import AIOKafkaProducer

from core import metrics
from core.config.view import ConfigView
from core.journal import Journal, load_key, worker_file, worker_files
from core.kafka import new_producer
from core.loop import release_free_memory, settle_gc
from core.settings import Settings
from core.worker.decoded import DecodedValues
from core.worker.store import PartitionStore, StateMirror
from core.worker.wire import Outputs
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.leads import LeadState, SendIntents
from schemas.topics import COMMANDS, DEDUP, LEADS, SENDS, WEBHOOKS, TopicSpec
from schemas.types import utcnow

log = logging.getLogger(__name__)

#: How often expired dedup marks are dropped from the store (and the journal), and free
#: memory handed back to the system.
HOUSEKEEPING_SECONDS = 60.0


class WorkerServices(mode.Service):
    def __init__(self, app: faust.App, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        #: Embedded mode: every state write is journaled too (the broker forgets).
        self.journal = worker_journal(settings)
        mirror: StateMirror | None = self.journal
        every_journal = every_worker_journal(settings)

        def journals(spec: TopicSpec) -> Callable[[], list[Journal]] | None:
            return every_journal if spec.store_in_journals_when_embedded else None

        self.view = ConfigView(settings.bootstrap_servers)
        self.producer: AIOKafkaProducer | None = None
        self.dedup: PartitionStore[DedupMark] = PartitionStore(
            DEDUP,
            WEBHOOKS,
            settings.bootstrap_servers,
            mirror,
            keep=self.mark_is_current,
            journals=journals(DEDUP),
        )
        self.leads: PartitionStore[LeadState] = PartitionStore(
            LEADS,
            COMMANDS,
            settings.bootstrap_servers,
            mirror,
            journals=journals(LEADS),
            kept_decoded=DecodedValues(LeadState.editable_copy),
        )
        self.sends: PartitionStore[SendIntents] = PartitionStore(
            SENDS, COMMANDS, settings.bootstrap_servers, mirror, journals=journals(SENDS)
        )
        self.http: aiohttp.ClientSession | None = None
        #: ``/metrics`` of this worker (``HOOKLINE_METRICS_PORT``), when served.
        self._metrics: aiohttp.web.AppRunner | None = None
        self.ready = asyncio.Event()
        self._commands_owned = 0
        #: The topic's own count, known once started: the embedded broker's may be
        #: below the declared one (``hookline/embedded/partitions.py``).
        self._commands_partitions = COMMANDS.partitions
        self._preload: asyncio.Future[None] | None = None
        # A revoked partition's state may be written by its next owner: forget it.
        app.on_partitions_revoked.connect(self._on_revoked)
        app.on_partitions_assigned.connect(self._on_assigned)

    @property
    def commands_share(self) -> float:
        """This process's share of the commands topic's partitions: the part of each
        account's message rate it may use (``actions/pacing.py``); all of it until it
        is assigned some."""
        if not self._commands_owned:
            return 1.0
        return self._commands_owned / self._commands_partitions

    @property
    def stores(self) -> tuple[PartitionStore[Any], ...]:
        return (self.dedup, self.leads, self.sends)

    def outputs(self) -> Outputs:
        """A fresh set of outputs for one input."""
        assert self.producer is not None, "services not started"
        return Outputs(self.producer)

    def mark_is_current(self, mark: DedupMark) -> bool:
        """Still inside the dedup window now (older marks are not loaded nor kept)."""
        age = (utcnow() - mark.received_at).total_seconds()
        return age < self.settings.dedup_window_seconds

    def within_window(self, mark: DedupMark, envelope: WebhookEnvelope) -> bool:
        """Whether ``envelope`` arrived inside the window of the request that marked
        its delivery (gateway clocks: the same answer however late it is processed)."""
        gap = (envelope.received_at - mark.received_at).total_seconds()
        return gap < self.settings.dedup_window_seconds

    async def _on_assigned(self, sender: Any, assigned: Any, **kwargs: Any) -> None:
        """``assigned`` is this process's whole assignment after a rebalance. Its store
        partitions start loading now, in the background, rather than when their first
        event comes: that event would wait for the load."""
        self._commands_owned = sum(1 for tp in assigned if tp.topic == COMMANDS.name)
        partitions = {
            store: sorted(tp.partition for tp in assigned if tp.topic == store.source.name)
            for store in self.stores
        }
        self._cancel_preload()
        self._preload = asyncio.ensure_future(self._load_stores(partitions))

    def _cancel_preload(self) -> None:
        """A preload of an earlier assignment must not go on: a partition it loads after
        its revocation would stay in memory, stale, while another worker writes it (and
        be taken as loaded if it came back)."""
        if self._preload is not None:
            self._preload.cancel()
            self._preload = None

    async def _load_stores(self, partitions: dict[PartitionStore[Any], list[int]]) -> None:
        await self.ready.wait()
        try:
            for store, numbers in partitions.items():
                for partition in numbers:
                    await store.load(partition)
        except Exception:  # the agents load what they need themselves, and say why not
            log.warning("store partitions not loaded ahead", exc_info=True)

    async def _on_revoked(self, sender: Any, revoked: Any, **kwargs: Any) -> None:
        self._cancel_preload()
        for store in self.stores:
            store.revoke(tp.partition for tp in revoked if tp.topic == store.source.name)

    async def on_start(self) -> None:
        if self.journal is not None:
            self.journal.open_for_writing()
        # aiokafka clients belong to the loop they are created in: the worker's.
        self.producer = new_producer(
            self.settings.bootstrap_servers,
            enable_idempotence=not self.settings.embedded_broker,
            # Agents wait for each write before the next: lingering would only add
            # its delay to every one of them.
            linger_ms=0,
        )
        await self.producer.start()
        self._commands_partitions = len(await self.producer.partitions_for(COMMANDS.name))
        for store in self.stores:
            await store.start(self.producer)
        await self.view.start()
        self.http = aiohttp.ClientSession()
        if self.settings.metrics_port:
            self._metrics = await metrics.serve_metrics(
                self.settings.metrics_host, self.settings.metrics_port + self.settings.worker_index
            )
        settle_gc()  # what exists now lives as long as the process (core/loop.py)
        self.ready.set()

    @mode.Service.timer(HOUSEKEEPING_SECONDS)
    async def _housekeeping(self) -> None:
        dropped = self.dedup.prune_oldest(self.mark_is_current)
        if dropped:
            log.info("expired dedup marks dropped", extra={"marks": dropped})
        if self.journal is not None:
            await self.journal.forget_expired_marks(self.settings.dedup_window_seconds)
        release_free_memory()

    async def on_stop(self) -> None:
        self._cancel_preload()
        if self._metrics is not None:
            await self._metrics.cleanup()
        if self.http is not None:
            await self.http.close()
        await self.view.stop()
        for store in self.stores:
            await store.stop()
        if self.producer is not None:
            await self.producer.stop()
        if self.journal is not None:
            self.journal.close()


def worker_journal(settings: Settings) -> Journal | None:
    """The worker's journal in embedded mode (``HOOKLINE_JOURNAL_DIR``; a file per
    worker process, ``HOOKLINE_WORKER_INDEX``), else None."""
    if settings.journal_dir is None:
        return None
    path = settings.journal_dir / worker_file(settings.worker_index)
    return Journal(path, _journal_key(settings, settings.journal_dir))


def every_worker_journal(settings: Settings) -> Callable[[], list[Journal]] | None:
    """Embedded mode: what lists every worker's journal (of workers no longer run too),
    anew each time: a store partition's earlier owner may have been any of them."""
    if (directory := settings.journal_dir) is None:
        return None
    key = _journal_key(settings, directory)
    return lambda: [Journal(path, key) for path in worker_files(directory)]


def _journal_key(settings: Settings, directory: Path) -> bytes:
    return load_key(
        directory, settings.journal_key.get_secret_value() if settings.journal_key else None
    )
