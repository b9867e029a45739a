"""Every topic, declared once: name, key, value type, partitions, compaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter

from schemas.commands import ActionCommand
from schemas.config import CONFIG_RECORD
from schemas.deadletter import DeadLetter
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.history import HISTORY_RECORD
from schemas.leads import LeadState


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: type[BaseModel] | TypeAdapter[Any]
    partitions: int
    compacted: bool = False

    def encode(self, value: Any) -> bytes:
        if isinstance(self.value, TypeAdapter):
            return self.value.dump_json(value)
        return value.model_dump_json().encode()

    def decode(self, raw: bytes) -> Any:
        if isinstance(self.value, TypeAdapter):
            return self.value.validate_json(raw)
        return self.value.model_validate_json(raw)


CONFIG = TopicSpec("hookline.config", "<kind>:<id>", CONFIG_RECORD, partitions=1, compacted=True)
WEBHOOKS = TopicSpec("hookline.webhooks", "integration id", WebhookEnvelope, partitions=8)
COMMANDS = TopicSpec("hookline.commands", "<account_id>:<phone>", ActionCommand, partitions=8)
#: The executor's lead state: written to the partition of the command that changed it.
LEADS = TopicSpec(
    "hookline.leads",
    "<account_id>:<phone>",
    LeadState,
    partitions=COMMANDS.partitions,
    compacted=True,
)
HISTORY = TopicSpec("hookline.history", "request or command id", HISTORY_RECORD, partitions=4)
DEADLETTER = TopicSpec("hookline.deadletter", "integration id", DeadLetter, partitions=4)
#: The webhook agent's dedup marks: written to the partition of the webhook they mark.
DEDUP = TopicSpec(
    "hookline.dedup",
    "<integration_id>:<delivery key>",
    DedupMark,
    partitions=WEBHOOKS.partitions,
    compacted=True,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (CONFIG, WEBHOOKS, COMMANDS, LEADS, HISTORY, DEADLETTER, DEDUP)
