"""``hookline worker``: the faust worker running the webhook agent and the
executor agent. Scale out by starting more (partitions bound parallelism)."""

from __future__ import annotations

import asyncio

import click
import faust

from actions.agent import register_executor_agent
from core.logs import logging_config
from core.settings import Settings
from core.worker.services import WorkerServices
from streams.agents import register_webhook_agent
from streams.app import build_app


def build_worker(settings: Settings) -> faust.Worker:
    app = build_app(settings)
    services = WorkerServices(app, settings)
    register_webhook_agent(app, services)
    register_executor_agent(app, services)
    return faust.Worker(
        app,
        services,
        loglevel=settings.log_level,
        logging_config=logging_config(settings.log_level),
        redirect_stdouts=False,
    )


@click.command()
def worker() -> None:
    """Run the stream processors and executors (faust worker).

    Reads HOOKLINE_BOOTSTRAP_SERVERS; stops cleanly on Ctrl-C / SIGTERM.
    """
    settings = Settings()
    if settings.event_loop == "uvloop":
        # Before faust makes its loops (the worker's and its consumer thread's): the
        # policy decides which kind they are.
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    build_worker(settings).execute_from_commandline()
