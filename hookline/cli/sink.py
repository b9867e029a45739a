"""``hookline sink``: the history sink (production; ``hookline dev`` runs one inside)."""

from __future__ import annotations

import asyncio

import click

from core import embedded_fetch, metrics
from core.logs import setup_logging
from core.loop import run as run_loop
from core.loop import settle_gc
from core.settings import Settings


@click.command()
def sink() -> None:
    """Write history, config audit, leads and dead letters to ClickHouse."""
    from hookline.history.clickhouse import ClickHouse
    from hookline.history.sink import HistorySink
    from hookline.history.store import HistoryStore

    settings = Settings()
    setup_logging(settings.log_level)
    embedded_fetch.apply(settings)

    async def run() -> None:
        clickhouse = ClickHouse.open(settings.clickhouse_dsn)
        await clickhouse.migrate()
        sink = HistorySink(settings, HistoryStore(clickhouse))
        await sink.start()
        served = None
        if settings.metrics_port:  # rows written, batch times, failed writes
            served = await metrics.serve_metrics(settings.metrics_host, settings.metrics_port)
        settle_gc()  # what exists now lives as long as the process (core/loop.py)
        try:
            await asyncio.Event().wait()
        finally:
            if served is not None:
                await served.cleanup()
            await sink.stop()
            clickhouse.close()

    run_loop(run(), settings.event_loop)
