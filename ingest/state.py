"""What a gateway process serves with: its settings and the clients it is handed (the
config view, the producer, in embedded mode the journal), and what it keeps between
requests (rate-limit buckets, recently answered deliveries, the clock). Stored on the
app as ``app[GATEWAY]``; the process that serves the routes (``hookline/server.py``)
owns the clients' lifecycle."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiokafka import AIOKafkaProducer

from core.config.view import ConfigView
from core.journal import Journal
from core.settings import Settings
from ingest.dedup import RecentDeliveries
from ingest.ratelimit import RateLimiter
from schemas.config import Integration


@dataclass
class Gateway:
    settings: Settings
    #: The config as this process sees it; no webhook is taken before it caught up.
    view: ConfigView
    producer: AIOKafkaProducer
    #: ``hookline dev``: accepted webhooks are journaled too (``core/journal.py``).
    journal: Journal | None
    limiter: RateLimiter
    recent: RecentDeliveries
    #: Wall clock, unix seconds: when a request was received (signature timestamps are
    #: checked against it). Tests set it to replay official vectors.
    clock: Callable[[], float] = time.time

    @classmethod
    def create(
        cls,
        settings: Settings,
        view: ConfigView,
        producer: AIOKafkaProducer,
        journal: Journal | None = None,
    ) -> Gateway:
        return cls(
            settings,
            view,
            producer,
            journal,
            RateLimiter(),
            RecentDeliveries(settings.dedup_window_seconds, settings.gateway_dedup_entries),
        )

    def rate_of(self, integration: Integration) -> tuple[float, int]:
        """(requests per second, burst): the integration's own, else the defaults."""
        own = integration.rate_limit
        per_second = own.per_second if own and own.per_second else None
        burst = own.burst if own and own.burst else None
        return (
            per_second or self.settings.rate_limit_per_second,
            burst or self.settings.rate_limit_burst,
        )


GATEWAY = web.AppKey("gateway", Gateway)
