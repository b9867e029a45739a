"""Prometheus metrics, declared once. Served at ``/metrics`` by the HTTP processes, and by
``hookline worker`` and ``hookline sink`` on ``HOOKLINE_METRICS_PORT`` (:func:`serve_metrics`)."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

WEBHOOK_REQUESTS = Counter(
    "hookline_webhook_requests_total",
    "Webhook requests answered, by integration and status",
    ["integration", "status"],
)
WEBHOOK_BODY_BYTES = Histogram(
    "hookline_webhook_body_bytes",
    "Size of webhook request bodies",
    buckets=(0, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304),
)
PRODUCE_SECONDS = Histogram(
    "hookline_produce_seconds",
    "Time to write an accepted webhook to Kafka (acks=all)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BROKER_ERRORS = Counter(
    "hookline_broker_errors_total", "Failures writing to Kafka, by operation", ["operation"]
)
SIGNATURE_REJECTIONS = Counter(
    "hookline_signature_rejections_total",
    "Webhooks refused with 401 (missing, wrong or stale signature or token), by scheme",
    ["scheme"],
)
DUPLICATES = Counter(
    "hookline_webhook_duplicates_total",
    "Deliveries answered as duplicates by a gateway process without a second write",
    ["integration"],
)
RATE_LIMITED = Counter(
    "hookline_webhook_rate_limited_total",
    "Webhooks refused with 429 by an integration's rate limit",
    ["integration"],
)
HANDSHAKES = Counter(
    "hookline_webhook_handshakes_total",
    "Platform handshakes (pings) answered and recorded as pings, not events",
    ["integration", "handshake"],
)
HISTORY_ROWS = Counter(
    "hookline_history_rows_total", "Rows written to ClickHouse by the history sink", ["table"]
)
HISTORY_FLUSH_SECONDS = Histogram(
    "hookline_history_flush_seconds", "Time to write one batch to ClickHouse"
)
HISTORY_FAILURES = Counter(
    "hookline_history_failures_total", "Failed ClickHouse batch writes (retried)"
)
#: Embedded broker only (core/kafka_holes.py).
FETCH_HOLES_SKIPPED = Counter(
    "hookline_fetch_holes_skipped_total",
    "Holes in fetched partitions read past after waiting for them to fill (embedded broker)",
)

PROCESS_RESTARTS = Counter(
    "hookline_process_restarts_total",
    "Child processes restarted by hookline dev's supervisor after they exited, by process",
    ["process"],
)
_LAG_HELP = (
    "the log end offset minus the group's committed offset (the earliest offset when it"
    " has none), from the health probe every HOOKLINE_HEALTH_INTERVAL_SECONDS; the end is"
    " the larger of ListOffsets(latest) and the high watermark of a Fetch at that offset,"
    " so it is exact on Apache Kafka and on the embedded broker (whose ListOffsets alone"
    " stops at the last batch's base offset + 1). Kept at the last successful probe."
)
CONSUMER_LAG = Gauge(
    "hookline_consumer_lag",
    "Records a consumer group has not committed yet, by group and topic (all partitions): "
    + _LAG_HELP,
    ["group", "topic"],
)
CONSUMER_PARTITION_LAG = Gauge(
    "hookline_consumer_partition_lag",
    "Records a consumer group has not committed yet, by group, topic and partition: " + _LAG_HELP,
    ["group", "topic", "partition"],
)
READY = Gauge(
    "hookline_ready", "What /readyz answered at the last health probe: 1 ready (200), 0 not (503)"
)


# -- workers (``hookline worker``: served on HOOKLINE_METRICS_PORT) ------------------------
WEBHOOKS_PROCESSED = Counter(
    "hookline_webhooks_processed_total",
    "Webhooks a worker decided, by integration and outcome (their history row's status:"
    " matched, unmatched, duplicate, error, ...)",
    ["integration", "status"],
)
COMMANDS_EXECUTED = Counter(
    "hookline_commands_executed_total",
    "Action commands an executor settled, by action type and outcome",
    ["type", "status"],
)
MESSAGES = Counter(
    "hookline_messages_total",
    "Messages an executor sent through a channel or gave up on, by channel and outcome",
    ["channel", "status"],
)
BATCH_EVENTS = Histogram(
    "hookline_worker_batch_events",
    "Events an agent took at once, by the topic it reads (more a batch: less work a record)",
    ["topic"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
BATCH_SECONDS = Histogram(
    "hookline_worker_batch_seconds",
    "Time an agent took on a batch, its outputs acknowledged, by the topic it reads",
    ["topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
#: What a history record counts toward, by its ``kind`` (schemas/history.py): its labels.
_COUNTED: dict[str, tuple[Counter, Callable[[Any], tuple[str, ...]]]] = {
    "webhook": (WEBHOOKS_PROCESSED, lambda r: (r.integration_id, r.status)),
    "command": (COMMANDS_EXECUTED, lambda r: (r.type, r.status)),
    "message": (MESSAGES, lambda r: (r.channel, r.status)),
}


def count_history(records: Iterable[Any]) -> None:
    """Count what history records say (a webhook's outcome, a command's, a message's):
    called with the records an agent's batch produced once the broker has them, so a
    count is of something done and recorded. A batch done again after a crash counts
    again in the new process, whose counters start at zero (Prometheus reads a reset)."""
    tally: collections.Counter[tuple[str, tuple[str, ...]]] = collections.Counter()
    try:
        for record in records:
            if (counted := _COUNTED.get(getattr(record, "kind", ""))) is not None:
                tally[record.kind, counted[1](record)] += 1
        for (kind, labels), count in tally.items():
            _COUNTED[kind][0].labels(*labels).inc(count)
    except Exception:  # a count is never worth a worker: its batch is done and stored
        log.exception("history records not counted")


async def metrics_handler(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


async def serve_metrics(host: str, port: int) -> web.AppRunner | None:
    """``GET /metrics`` (Prometheus) on ``host:port``, on the running loop: for the
    processes with no HTTP server of their own (``HOOKLINE_METRICS_PORT``). A port it
    cannot have is logged, not fatal: the process goes on with its work unmeasured."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        log.error("metrics not served", extra={"host": host, "port": port, "error": str(exc)})
        await runner.cleanup()
        return None
    log.info("metrics served", extra={"host": host, "port": port})
    return runner
