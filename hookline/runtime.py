"""The long-lived clients an HTTP process needs, with one explicit lifecycle.

``Runtime`` is stored on the aiohttp app (``app[RUNTIME]``) and opened/closed by
its ``cleanup_ctx``: the config view (ready only once caught up), the producer,
the health probe behind ``/readyz`` (``hookline/health.py``) and, for processes that
serve history, the ClickHouse facade."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import InitVar, dataclass, field

from aiohttp import web
from aiokafka import AIOKafkaProducer

from core.config.view import ConfigView
from core.config.writer import ConfigWriter
from core.journal import Journal
from core.kafka import new_producer
from core.settings import Settings
from hookline.health import HealthMonitor
from hookline.history.clickhouse import ClickHouse

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    view: ConfigView
    producer: AIOKafkaProducer
    clickhouse: ClickHouse | None = None
    #: ``hookline dev``: the supervised workers' pids while all run (see HealthMonitor).
    worker_pids: InitVar[Callable[[], tuple[int, ...] | None] | None] = None
    #: ``hookline dev``: accepted webhooks and config are journaled too (its broker
    #: forgets everything when it stops; ``core/journal.py``).
    journal: Journal | None = None
    writer: ConfigWriter = field(init=False)
    health: HealthMonitor = field(init=False)

    def __post_init__(self, worker_pids: Callable[[], tuple[int, ...] | None] | None) -> None:
        self.writer = ConfigWriter(self.producer, self.view, self.journal)
        self.health = HealthMonitor(self.settings, lambda: self.view.ready, worker_pids)

    @classmethod
    def create(
        cls,
        settings: Settings,
        clickhouse: ClickHouse | None = None,
        worker_pids: Callable[[], tuple[int, ...] | None] | None = None,
        journal: Journal | None = None,
    ) -> Runtime:
        return cls(
            settings,
            ConfigView(settings.bootstrap_servers),
            new_producer(
                settings.bootstrap_servers, enable_idempotence=not settings.embedded_broker
            ),
            clickhouse,
            worker_pids,
            journal,
        )

    @property
    def ready(self) -> bool:
        return self.view.ready

    async def start(self) -> None:
        await self.producer.start()
        await self.view.start()
        await self.health.start()

    async def stop(self) -> None:
        # Flush what was accepted before closing (graceful shutdown).
        await self.producer.flush()
        await self.producer.stop()
        await self.view.stop()
        await self.health.stop()


RUNTIME = web.AppKey("runtime", Runtime)


def runtime_context(runtime: Runtime):
    """An aiohttp cleanup_ctx that starts the runtime with the app and stops it after."""

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.stop()

    return lifecycle
