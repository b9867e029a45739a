"""Real services for tests: the embedded tansu broker and ClickHouse (chdb).

Both are session-scoped and started on demand. With ``CI=true`` a missing
binary or package fails the run; elsewhere it skips with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from core import embedded_fetch
from core.kafka import ensure_topics
from core.settings import Settings
from hookline.embedded.broker import BrokerUnavailable, EmbeddedBroker
from hookline.history.clickhouse import ClickHouse, ClickHouseUnavailable
from hookline.history.sink import HistorySink
from hookline.history.store import HistoryStore
from schemas.topics import WEBHOOKS, TopicSpec
from tests.ci import unavailable

#: Every broker of the tests is the embedded one: this process's consumers (sinks,
#: config views, stores started by the tests) read it as hookline's processes do.
embedded_fetch.apply(Settings(embedded_broker=True))


def started_broker(port: int | None = None) -> EmbeddedBroker:
    """A running tansu broker (on ``port`` if given); a failure in CI, else a skip."""
    instance = EmbeddedBroker(port=port)
    try:
        instance.start()
    except BrokerUnavailable as exc:
        unavailable(str(exc))
    return instance


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    instance = started_broker()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
async def bootstrap(broker: EmbeddedBroker) -> str:
    """A running broker with every hookline topic created."""
    from core.kafka import ensure_topics

    await ensure_topics(broker.bootstrap)
    return broker.bootstrap


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouse]:
    path = tmp_path_factory.mktemp("clickhouse")
    try:
        instance = ClickHouse.open(f"chdb://{path}", "default")
    except ClickHouseUnavailable as exc:
        unavailable(str(exc))
    yield instance
    instance.close()


@pytest.fixture
async def clickhouse(clickhouse_server: ClickHouse) -> AsyncIterator[ClickHouse]:
    """A fresh, migrated database per test on the session's ClickHouse."""
    db = clickhouse_server.with_database(f"t_{secrets.token_hex(6)}")
    await db.migrate()
    yield db
    await db._call(db.client.command, f"DROP DATABASE IF EXISTS {db.database}")


def unique_topic(prefix: str = "test") -> str:
    return f"{prefix}.{secrets.token_hex(6)}"


async def new_topic(bootstrap: str, prefix: str, partitions: int) -> str:
    """A topic of its own for one test, created with ``partitions`` (its records are
    any bytes: the spec's value model is never used)."""
    topic = unique_topic(prefix)
    await ensure_topics(bootstrap, [TopicSpec(topic, "raw", WEBHOOKS.value, partitions)])
    return topic


def new_sink(
    bootstrap: str,
    store: HistoryStore,
    sink_class: type[HistorySink] = HistorySink,
    flush_seconds: float = 0.1,
) -> HistorySink:
    """A sink in a group of its own, so earlier runs' committed offsets do not interfere."""
    settings = Settings(
        bootstrap_servers=bootstrap, embedded_broker=True, history_flush_seconds=flush_seconds
    )
    return sink_class(settings, store, group_id=f"sink-{secrets.token_hex(4)}")
