"""The worker of tests/integration/faults/test_faust_backlog.py, run as a process the way
``hookline worker`` runs: ``python -m tests.integration.faults.backlog_worker``.

The production app (:func:`streams.app.build_app`, embedded profile) under a group of
its own, with two agents on two topics (like the webhook agent and the executor) that
only append ``topic partition offset`` of every event they see to a file; and, when
asked, one table that no agent uses, whose changelog the test fills: the worker then
recovers a table before its streams start, as hookline's worker did while its dedup
marks and leads were faust tables (the incidents of issue 8).

Environment: ``HOOKLINE_BOOTSTRAP_SERVERS``, and ``BACKLOG_GROUP`` (the consumer
group), ``BACKLOG_TOPICS`` (two names, comma-separated), ``BACKLOG_PARTITIONS`` (of each),
``BACKLOG_CHANGELOG`` (the table's changelog topic; no table when empty),
``BACKLOG_SEEN`` (the file), ``BACKLOG_AGENT_SECONDS`` (time an agent
takes per event, 0 by default)."""

from __future__ import annotations

import asyncio
import os

import faust

from core.logs import logging_config
from core.settings import Settings
from core.worker.wire import raw_topic
from streams.app import build_app


def build_worker() -> faust.Worker:
    settings = Settings(embedded_broker=True)
    app = build_app(settings)
    app.conf.id = os.environ["BACKLOG_GROUP"]
    first, second = os.environ["BACKLOG_TOPICS"].split(",")
    partitions = int(os.environ["BACKLOG_PARTITIONS"])
    if changelog := os.environ.get("BACKLOG_CHANGELOG"):
        app.Table(
            "unused",
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=partitions,
            changelog_topic=app.topic(
                changelog,
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=partitions,
                compacting=True,
            ),
        )
    # Line-buffered: each line reaches the file at once, so a SIGKILL loses none.
    seen = open(os.environ["BACKLOG_SEEN"], "a", buffering=1)

    work = float(os.environ.get("BACKLOG_AGENT_SECONDS", "0"))

    async def record(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            seen.write(f"{message.topic} {message.partition} {message.offset}\n")
            if work:
                await asyncio.sleep(work)  # stands in for a real agent's produce round trip

    for topic in (first, second):
        app.agent(raw_topic(app, topic), name=f"record-{topic}")(record)
    return faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_config(settings.log_level),
        redirect_stdouts=False,
    )


if __name__ == "__main__":
    build_worker().execute_from_commandline()
