"""``hookline gateway`` and ``hookline api``: the production HTTP servers (one process
per role; ``hookline dev`` serves both on one front port)."""

from __future__ import annotations

import asyncio
import signal

import click
from aiohttp import web

from core import embedded_fetch
from core.http import DRAINING
from core.listen import bind
from core.logs import setup_logging
from core.loop import run, settle_gc_on_startup
from core.settings import Settings


def _serve(gateway: bool, api: bool, host: str, port: int) -> None:
    from hookline.history.clickhouse import ClickHouse
    from hookline.runtime import Runtime
    from hookline.server import build_http_app, server_options, stop_serving

    settings = Settings()
    setup_logging(settings.log_level)
    embedded_fetch.apply(settings)
    clickhouse = ClickHouse.open(settings.clickhouse_dsn) if api else None

    async def serve() -> None:
        # Kafka clients must be created inside the loop that will run them.
        app = build_http_app(Runtime.create(settings, clickhouse), gateway=gateway, api=api)
        app.on_startup.append(settle_gc_on_startup)
        runner = web.AppRunner(app, **server_options(settings))
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
        sockets = bind(host, port)
        try:
            await runner.setup()
            for sock in sockets:
                await web.SockSite(runner, sock).start()
            await stopping.wait()
            # SIGTERM: serve on for the drain (/readyz 503, answers closing their
            # connections), stop accepting, let in-flight requests finish (up to the
            # shutdown timeout); the runtime's cleanup then flushes the producer.
            app[DRAINING].set()
            await asyncio.sleep(settings.shutdown_drain_seconds)
        finally:
            await stop_serving(runner, closing=sockets)
            for sock in sockets:
                sock.close()

    run(serve(), settings.event_loop)


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
