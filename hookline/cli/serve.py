"""``hookline gateway`` and ``hookline api``: the production HTTP servers (one process
per role; ``hookline dev`` serves both on one front port)."""

from __future__ import annotations

import click
from aiohttp import web

from core import embedded_fetch
from core.logs import setup_logging
from core.loop import new_event_loop, settle_gc_on_startup
from core.settings import Settings


def _serve(gateway: bool, api: bool, host: str, port: int) -> None:
    from hookline.history.clickhouse import ClickHouse
    from hookline.runtime import Runtime
    from hookline.server import build_http_app, server_options

    settings = Settings()
    setup_logging(settings.log_level)
    embedded_fetch.apply(settings)
    clickhouse = ClickHouse.open(settings.clickhouse_dsn) if api else None

    async def app() -> web.Application:
        # Kafka clients must be created inside the loop that will run them.
        built = build_http_app(Runtime.create(settings, clickhouse), gateway=gateway, api=api)
        built.on_startup.append(settle_gc_on_startup)
        return built

    # SIGTERM: stop listening, let in-flight requests finish (up to the timeout), then
    # the runtime's cleanup flushes the producer.
    loop = new_event_loop(settings.event_loop)
    web.run_app(app(), host=host, port=port, print=None, loop=loop, **server_options(settings))


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
