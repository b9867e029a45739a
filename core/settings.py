"""One typed settings object, read from ``HOOKLINE_*`` environment variables.

Broker quirks of the embedded tansu broker (see ../shared/BROKER.md) live in
``embedded_broker``; the logic never branches on anything else.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOOKLINE_", extra="ignore", frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    #: ``chdb:///path`` for embedded ClickHouse, ``http://user:pass@host:8123/db`` for a server.
    clickhouse_dsn: str = "chdb:///./data/clickhouse"
    #: Bearer token for ``POST /api/accounts``; account routes are refused while unset.
    admin_token: SecretStr | None = None
    #: Base URL printed in integration URLs (``<public_url>/hooks/<token>``).
    public_url: str = "http://127.0.0.1:8080"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: A webhook body must have arrived within this long (408 otherwise): a client that
    #: declares more than it sends does not hold a request open for ever.
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    #: A request's line and headers must have arrived within this long of the connection
    #: opening (or of the previous answer, on a kept-alive connection): a client that
    #: never finishes its headers is disconnected. Idle keep-alive connections close then too.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Embedded tansu profile: short group timeouts, one record per batch for changelogs.
    embedded_broker: bool = False
    #: Embedded mode only: a consumer that has read nothing for 5 s waits this long per
    #: Fetch instead of its own 25-100 ms, back to its own with the first records
    #: (``core/kafka_idle.py``). An idle ``hookline dev`` took 28-30% of a core polling,
    #: 14-16% with this; the first webhook after a quiet spell waits up to this long more
    #: at each hop. 0: never.
    embedded_idle_fetch_wait_ms: int = Field(default=200, ge=0, lt=250)
    #: Duplicate deliveries inside this window produce no second set of commands (workers),
    #: and are answered ``"duplicate": true`` without a second write (each gateway process).
    dedup_window_seconds: int = Field(default=24 * 3600, ge=1)
    #: Delivery ids each gateway process remembers for that window (oldest dropped first).
    gateway_dedup_entries: int = Field(default=100_000, ge=1)
    #: Default token bucket of an integration in each gateway process (integrations may
    #: set their own): sustained requests per second and burst.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    #: How long the gateway waits for acks=all before answering 503.
    produce_timeout_seconds: float = Field(default=5.0, gt=0)
    #: On SIGTERM, how long in-flight requests may take to finish before the producer
    #: is flushed and the process exits.
    shutdown_timeout_seconds: float = Field(default=15.0, ge=0)
    #: On SIGTERM, how long ``hookline gateway`` and ``hookline api`` go on serving before
    #: they stop accepting connections: ``/readyz`` answers 503 (``draining``) and every
    #: answer closes its connection, so a load balancer sends new requests elsewhere
    #: and no client's next request goes down a connection being closed.
    shutdown_drain_seconds: float = Field(default=0.0, ge=0)
    #: History sink batching: a batch is stored once it holds this many records, or
    #: this long after the last was stored. Big because each insert has a fixed cost
    #: (embedded ClickHouse: about 7-10 ms of CPU into ``webhooks``, 4 ms into
    #: ``commands``, whatever the rows; ClickHouse also advises batches of 10,000 rows
    #: or more); 2,000 took the sink about 40% more CPU per webhook on a backlog.
    history_batch_size: int = Field(default=10_000, ge=1)
    history_flush_seconds: float = Field(default=0.5, gt=0)
    #: How long a worker's batch waits for more events after its first one before it is
    #: worked on (a batch's writes share one acknowledgement, so bigger batches cost less
    #: CPU per webhook): latency against throughput. An idle agent waits for its next
    #: event without a clock (core/worker/batches.py). Measured (docs/performance.md, stop 21)
    #: with the gateway on the same two cores: 5 ms, 920-1,003 webhooks/s, p50 at 100/s
    #: 29-32 ms; 20 ms, 1,015-1,133/s, p50 at 100/s 51-52 ms.
    worker_batch_wait_ms: float = Field(default=5.0, gt=0, le=1000)
    #: /readyz answers 503 while the worker group (hookline-worker) is more than this many
    #: records behind on hookline.webhooks or on hookline.commands.
    ready_max_lag: int = Field(default=10_000, ge=0)
    #: How often each HTTP process probes the broker, the worker group and consumer lag
    #: for /readyz and the lag gauges (in the background; /readyz reads the last result).
    health_interval_seconds: float = Field(default=1.5, gt=0)
    #: A message the provider did not take (5xx, rate limited, no connection) is asked
    #: again, with backoff, for up to this long after its first attempt; then it fails
    #: with the last reason (GET /api/messages/failed). The lead's later commands wait.
    send_give_up_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"
    #: One JSON line per HTTP request: ``all``; ``errors`` (answers >= 400 only: every
    #: accepted webhook is already in history under its request id, and counted in
    #: /metrics; a line per request costs the gateway about a sixth of its CPU); ``off``.
    access_log: Literal["all", "errors", "off"] = "errors"
    #: The HTTP servers' event loop: ``uvloop`` (libuv; the default) or ``asyncio``.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    #: Faust worker's web port (0 disables its web server).
    worker_web_port: int = 0
    #: Prometheus ``/metrics`` of the processes with no HTTP server of their own,
    #: ``hookline worker`` and ``hookline sink``, on this port (a worker adds its
    #: ``worker_index``: ``hookline dev``'s second worker serves on the port + 1); 0: none.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    #: Where they serve it (``hookline dev``'s workers: 127.0.0.1).
    metrics_host: str = "0.0.0.0"  # noqa: S104 - a server, for Prometheus to scrape
    #: Replicas of every topic ``hookline topics`` creates (production: 3, so a write
    #: acknowledged with acks=all survives the loss of a broker).
    topic_replication_factor: int = Field(default=1, ge=1)
    #: Embedded mode only (set by ``hookline dev`` for its worker): where the worker
    #: journals its state, because the embedded broker keeps nothing across a restart.
    journal_dir: Path | None = None
    #: Embedded mode only: how many worker processes ``hookline dev`` runs (each takes
    #: a share of the partitions and about one core under load; a worker is one Python
    #: process, bound by its interpreter lock).
    dev_workers: int = Field(default=2, ge=1, le=8)
    #: Embedded mode only (set by ``hookline dev`` for each worker): which of its
    #: workers this is; each journals to its own file.
    worker_index: int = Field(default=0, ge=0)
    #: Key of the embedded journal (32 bytes, urlsafe base64); unset: a key file is
    #: created in the journal directory. Set it to keep the key off the data disk.
    journal_key: SecretStr | None = None
    #: Embedded mode only: ``hookline dev`` restarts itself on a new broker, refilled
    #: from the journal, once the embedded broker holds more than this many MB (it
    #: keeps every record in memory and enforces no retention). 0: never. Each record
    #: batch it holds makes its reads and writes dearer (``bench/broker_growth.py``):
    #: over 100,000 webhooks at 700/s, 500 kept the last fifth's processed/s at 0.91x
    #: the first's (four recycles), 1024 at 0.69-0.82x (two; docs/performance.md).
    broker_recycle_mb: int = Field(default=512, ge=0)
    #: The server's own key (32 bytes, urlsafe base64): integration URL tokens are kept
    #: encrypted under it (so the console can show a URL again) and console sessions are
    #: signed with it. ``hookline dev`` creates ``<data-dir>/server.key`` when unset.
    #: Unset elsewhere: URLs are shown once (at creation and rotation) and console
    #: sessions last as long as the process.
    server_key: SecretStr | None = None

    @cached_property
    def bootstrap_list(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]
