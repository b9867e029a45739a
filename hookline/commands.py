"""Process commands: ``dev`` (everything), and the production pieces
``gateway``, ``api``, ``sink`` and ``topics``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from aiohttp import web

from core.logs import setup_logging
from core.settings import Settings


@click.command()
@click.option("--port", default=8080, show_default=True, help="Front port for /api and /hooks.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    show_default=True,
    help="ClickHouse data and logs live here; survives restarts.",
)
def dev(port: int, host: str, data_dir: Path) -> None:
    """Run the whole pipeline on this machine (embedded broker and ClickHouse).

    \b
    Example:
      HOOKLINE_ADMIN_TOKEN=change-me hookline dev --port 8080 --data-dir ./data
    """
    from hookline.embedded.dev import run_dev

    settings = Settings(public_url=f"http://{host}:{port}")
    setup_logging(settings.log_level)
    # 1 when the embedded broker died (its memory is gone): an outer supervisor restarts us.
    raise SystemExit(asyncio.run(run_dev(settings, data_dir.resolve(), host, port)))


def _serve(gateway: bool, api: bool, host: str, port: int) -> None:
    from hookline.history.clickhouse import ClickHouse
    from hookline.runtime import Runtime
    from hookline.server import build_http_app, server_options

    settings = Settings()
    setup_logging(settings.log_level)
    clickhouse = ClickHouse.open(settings.clickhouse_dsn) if api else None

    async def app() -> web.Application:
        # Kafka clients must be created inside the loop that will run them.
        return build_http_app(Runtime.create(settings, clickhouse), gateway=gateway, api=api)

    # SIGTERM: stop listening, let in-flight requests finish (up to the timeout), then
    # the runtime's cleanup flushes the producer.
    web.run_app(app(), host=host, port=port, print=None, **server_options(settings))


@click.command()
@click.option("--port", default=8081, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server
def gateway(port: int, host: str) -> None:
    """Serve POST /hooks/{token} (production; run as many as you need)."""
    _serve(True, False, host, port)


@click.command()
@click.option("--port", default=8080, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server
def api(port: int, host: str) -> None:
    """Serve the management API under /api (production)."""
    _serve(False, True, host, port)


@click.command()
def sink() -> None:
    """Write history, config audit, leads and dead letters to ClickHouse."""
    from hookline.history.clickhouse import ClickHouse
    from hookline.history.sink import HistorySink
    from hookline.history.store import HistoryStore

    settings = Settings()
    setup_logging(settings.log_level)

    async def run() -> None:
        clickhouse = ClickHouse.open(settings.clickhouse_dsn)
        await clickhouse.migrate()
        sink = HistorySink(settings, HistoryStore(clickhouse))
        await sink.start()
        try:
            await asyncio.Event().wait()
        finally:
            await sink.stop()
            clickhouse.close()

    asyncio.run(run())


@click.command()
def topics() -> None:
    """Create every hookline topic with its partitions and compaction."""
    from core.kafka import ensure_topics

    settings = Settings()
    asyncio.run(
        ensure_topics(
            settings.bootstrap_servers, replication_factor=settings.topic_replication_factor
        )
    )
    click.echo(f"topics ready on {settings.bootstrap_servers}")
