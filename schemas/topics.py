"""Every topic, declared once: name, key, value type, partitions, compaction, retention.

Retention (Apache Kafka ``retention.ms``) bounds what a broker keeps: a stream is kept
long enough for its consumer to be down for a while (and then catch up), not forever;
what people read later lives in ClickHouse. The embedded broker (tansu, memory engine)
enforces no retention (../shared/BROKER.md): there, memory grows with the records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter

from schemas.commands import COMMAND_RECORD
from schemas.config import CONFIG_RECORD
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.history import HISTORY_RECORD
from schemas.leads import LeadState, SendIntents, lead_json, lead_json_without_outcomes


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: type[BaseModel] | TypeAdapter[Any]
    partitions: int
    compacted: bool = False
    #: Days a record is kept (``retention.ms``; with compaction: ``compact,delete``).
    #: None: Kafka's default for a stream, forever for a compacted topic.
    retention_days: float | None = None
    #: Writes a value faster than its model's serializer, the same bytes (leads).
    encoder: Callable[[Any], bytes] | None = None
    #: A worker store's topic whose store, in the embedded mode, reads the worker
    #: journals (``core/worker/store.py``): its broker holds everything in memory and
    #: starts empty, so there is nothing to load from it, and a restore publishes these
    #: values again only for a reader that may not have them (``produced_when_embedded``).
    store_in_journals_when_embedded: bool = False
    #: False: never produced in the embedded mode either, so never published again by a
    #: restore. Only for a topic that nothing but its store reads.
    produced_when_embedded: bool = True
    #: What the embedded mode produces instead of the stored value, for the topic's
    #: other readers when they need less than its store (the journals have it whole).
    produced_when_embedded_as: Callable[[Any], bytes] | None = None

    def __post_init__(self) -> None:
        if not self.produced_when_embedded and not self.store_in_journals_when_embedded:
            raise ValueError(f"{self.name}: a topic not produced must live in the journals")
        if self.produced_when_embedded_as is not None and not (
            self.produced_when_embedded and self.store_in_journals_when_embedded
        ):
            raise ValueError(f"{self.name}: only a produced topic read in the journals")

    def encode(self, value: Any) -> bytes:
        """The value's JSON, as ``model_dump_json`` writes it (straight to bytes, by the
        serializer of the value's own model: the union's picks the same one, slower). A
        list of models (a commands record) is their JSON in a JSON array, the same way."""
        if self.encoder is not None:
            return self.encoder(value)
        if isinstance(value, BaseModel):
            return value.__pydantic_serializer__.to_json(value)
        if isinstance(value, list) and all(isinstance(item, BaseModel) for item in value):
            items = (item.__pydantic_serializer__.to_json(item) for item in value)
            return b"[" + b",".join(items) + b"]"
        assert isinstance(self.value, TypeAdapter), f"{self.name} takes {self.value.__name__}"
        return self.value.dump_json(value)

    def decode(self, raw: bytes) -> Any:
        if isinstance(self.value, TypeAdapter):
            return self.value.validate_json(raw)
        return self.value.model_validate_json(raw)


CONFIG = TopicSpec("hookline.config", "<kind>:<id>", CONFIG_RECORD, partitions=1, compacted=True)
#: A week: a worker down over a long weekend still finds every accepted webhook.
WEBHOOKS = TopicSpec(
    "hookline.webhooks",
    "<account_id>:<phone's last 8 digits> (ingest/partition.py), else integration id",
    WebhookEnvelope,
    partitions=8,
    retention_days=7,
)
COMMANDS = TopicSpec(
    "hookline.commands", "<account_id>:<phone>", COMMAND_RECORD, partitions=8, retention_days=7
)
#: The executor's lead state: written to the partition of the command that changed it.
LEADS = TopicSpec(
    "hookline.leads",
    "<account_id>:<phone>",
    LeadState,
    partitions=COMMANDS.partitions,
    compacted=True,
    encoder=lead_json,
    # Every lead ever: the workers read them in their journals rather than load them at
    # every start. Still produced: the history sink stores them in ClickHouse (the lead
    # list), so a restart after a kill -9 publishes them again (restore.py).
    store_in_journals_when_embedded=True,
    # Without the outcomes the sink does not store: a lead that had many webhooks
    # remembers up to 500 (45 KB), the broker held each write in memory and the sink
    # decoded them all (with 200 leads in turn at 400/s: a broker recycle every 30 s).
    produced_when_embedded_as=lead_json_without_outcomes,
)
#: A lead's sends under way (``SendIntents``), beside its state on ``hookline.leads``:
#: written before a channel is called, deleted once the lead holds the outcome.
SENDS = TopicSpec(
    "hookline.sends",
    "<account_id>:<phone>",
    SendIntents,
    partitions=COMMANDS.partitions,
    compacted=True,
    # Nothing but the executor reads them: in the embedded mode, journaled only.
    store_in_journals_when_embedded=True,
    produced_when_embedded=False,
)
#: Read by the history sink into ClickHouse within seconds; kept for a sink outage.
HISTORY = TopicSpec(
    "hookline.history", "request or command id", HISTORY_RECORD, partitions=4, retention_days=7
)
#: Dead letters are replayed from ClickHouse (``deadletters``); the topic feeds it.
DEADLETTER = TopicSpec(
    "hookline.deadletter", "integration id", DeadLetter, partitions=4, retention_days=7
)
#: The webhook agent's dedup marks: written to the partition of the webhook they mark.
DEDUP = TopicSpec(
    "hookline.dedup",
    "<integration_id>:<delivery key>",
    DedupMark,
    partitions=WEBHOOKS.partitions,
    compacted=True,
    # Marks older than the dedup window (HOOKLINE_DEDUP_WINDOW_SECONDS, a day by
    # default) are never read: twice that, so a lagging worker still finds them.
    retention_days=2,
    # One per webhook: a day of them at 100 webhooks/s, 8.6 million, took the embedded
    # broker 1.6 GB and each restart two minutes to publish again. Nothing else reads them.
    store_in_journals_when_embedded=True,
    produced_when_embedded=False,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    CONFIG,
    WEBHOOKS,
    COMMANDS,
    LEADS,
    SENDS,
    HISTORY,
    DEADLETTER,
    DEDUP,
)
#: What ``hookline dev`` never produces (:attr:`TopicSpec.produced_when_embedded`).
NOT_PRODUCED_WHEN_EMBEDDED = frozenset(t.name for t in ALL_TOPICS if not t.produced_when_embedded)
#: What its workers read in their journals (:attr:`TopicSpec.store_in_journals_when_embedded`).
STORES_IN_JOURNALS_WHEN_EMBEDDED = frozenset(
    t.name for t in ALL_TOPICS if t.store_in_journals_when_embedded
)
