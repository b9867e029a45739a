"""Prometheus metrics, declared once. Served at ``/metrics`` by the HTTP processes."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

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


async def metrics_handler(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
