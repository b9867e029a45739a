"""One definition per history table: its record type and, column by column, the
value stored from a record. The insert column list and row building both derive
from it, so a column cannot be added to one and forgotten in the other.

The DDL lives in ``deploy/clickhouse/*.sql`` (operators apply it to their server);
``tests/integration/history/test_tables.py`` migrates a real ClickHouse and fails
when the DDL and these definitions drift, and when a record field is neither stored
nor listed in ``not_stored``.

Request headers are stored for people to read, so credential-named ones are masked
here, on the way in (``core.redact.mask_headers``): the envelope on
``hookline.webhooks`` keeps them, because a mapping may read any header and a replay
maps again.

Each column also says how ClickHouse computes it from the record's JSON (``sql``, over
the record's fields read as ``json_type``), so the history sink can hand a batch of
records as written to the topic to ClickHouse, which parses them in C++ without the
GIL (:meth:`Table.json_select`): on embedded ClickHouse, decoding and building rows in
Python stored about half as many rows a second (bench/history.py, stop 37).
``tests/integration/history/test_tables.py`` stores the same records both ways and
compares the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from clickhouse_connect.driver.binding import format_str
from pydantic import BaseModel

from core import jsontext
from core.redact import CREDENTIAL_WORDS, MASK, mask_headers
from schemas.deadletter import DeadLetter
from schemas.history import (
    CommandResult,
    ConfigChange,
    MessageSent,
    RejectedRequest,
    WebhookHistory,
)
from schemas.leads import LeadState


@dataclass(frozen=True)
class Column:
    name: str
    #: The stored value, from the record.
    value: Callable[[Any], Any]
    #: The record field it stores (None: derived from several, or from a nested one).
    source: str | None
    #: The same value computed by ClickHouse from the record's JSON, over its ``source``
    #: field (None: only in Python, and the table is then never read by ClickHouse).
    sql: str | None = None
    #: The type ``source`` is read as from JSON (None: the column's own type).
    json_type: str | None = None


def _utc(value: datetime) -> datetime:
    """A naive time is UTC; an aware one is stored as the instant it is (the client
    writes its timestamp), so it is not converted: 0.4 us a column for every row."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def same(name: str) -> Column:
    """The record field as is (ClickHouse converts str, int, lists, maps)."""
    return Column(name, attrgetter(name), name, sql=name)


def text(name: str) -> Column:
    """An optional string stored in a non-Nullable column: ``""`` when absent."""
    get = attrgetter(name)
    return Column(
        name, lambda r: get(r) or "", name, sql=f"ifNull({name}, '')", json_type="Nullable(String)"
    )


def utc(name: str) -> Column:
    get = attrgetter(name)
    return Column(name, lambda r: _utc(get(r)), name, sql=name)


def flag(name: str) -> Column:
    get = attrgetter(name)
    return Column(name, lambda r: int(get(r)), name, sql=f"toUInt8({name})", json_type="Bool")


def as_json(name: str, column: str) -> Column:
    """An object stored as its JSON text (read as the record's text of it: the record
    was written by the same kind of writer)."""
    get = attrgetter(name)
    return Column(column, lambda r: jsontext.dumps(get(r)), name, sql=name, json_type="String")


def masked_headers(name: str = "headers") -> Column:
    get = attrgetter(name)
    # core.redact.is_credential_name: the lower-cased name holds a credential word.
    words = ", ".join(map(format_str, CREDENTIAL_WORDS))
    masked = f"if(multiSearchAny(lowerUTF8(k), [{words}]), {format_str(MASK)}, v)"
    return Column(
        f"{name}_json",
        lambda r: jsontext.dumps(mask_headers(get(r))),
        name,
        sql=f"toJSONString(mapApply((k, v) -> (k, {masked}), {name}))",
        json_type="Map(String, String)",
    )


@dataclass(frozen=True)
class Table:
    name: str
    record: type[BaseModel]
    columns: tuple[Column, ...]
    #: Record fields deliberately not stored, with why in a comment where declared.
    not_stored: frozenset[str] = frozenset()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def row(self, record: Any) -> list[Any]:
        return [c.value(record) for c in self.columns]

    @property
    def kind(self) -> str | None:
        """The ``kind`` its records are tagged with on a mixed topic (``hookline.history``)."""
        field = self.record.model_fields.get("kind")
        return field.default if field is not None else None

    @property
    def read_by_clickhouse(self) -> bool:
        """Whether ClickHouse can compute every column from the record's JSON."""
        return all(c.sql is not None and c.source is not None for c in self.columns)

    def json_select(self, column_types: dict[str, str]) -> tuple[str, str]:
        """The SELECT list computing this table's columns, in order, from records read as
        JSON, and the structure to read them with (``column_types``: the table's own)."""
        assert self.read_by_clickhouse, f"{self.name} is built in Python only"
        fields = {c.source: c.json_type or column_types[c.name] for c in self.columns}
        structure = ", ".join(f"{field} {kind}" for field, kind in fields.items())
        # By position: an alias named as its field (``ifNull(x, '') AS x``) is cyclic.
        return ", ".join(c.sql for c in self.columns if c.sql), structure


TABLES: tuple[Table, ...] = (
    Table(
        "webhooks",
        WebhookHistory,
        (
            same("request_id"),
            same("account_id"),
            same("integration_id"),
            text("delivery_id"),
            utc("received_at"),
            utc("processed_at"),
            same("status"),
            same("event"),
            same("name"),
            same("phone"),
            same("phone_raw"),
            as_json("fields", "fields_json"),
            same("errors"),
            same("warnings"),
            same("matched_event_ids"),
            same("command_ids"),
            same("action_types"),
            text("content_type"),
            masked_headers(),
            same("body_format"),
            same("body_text"),
            same("parsed_json"),
        ),
        not_stored=frozenset({"kind"}),  # the table is the kind
    ),
    Table(
        "commands",
        CommandResult,
        (
            same("command_id"),
            same("account_id"),
            same("integration_id"),
            same("request_id"),
            same("phone"),
            same("type"),
            same("status"),
            same("detail"),
            utc("applied_at"),
        ),
        not_stored=frozenset({"kind"}),
    ),
    Table(
        "messages",
        MessageSent,
        (
            same("command_id"),
            same("account_id"),
            same("phone"),
            same("channel"),
            same("message_type"),
            same("content"),
            same("status"),
            same("reason"),
            same("detail"),
            same("provider_message_id"),
            utc("sent_at"),
            same("retry_of"),
            # To send it again from the failed-messages list ("" before this column).
            Column(
                "command_json",
                lambda r: r.command.model_dump_json() if r.command else "",
                "command",
                sql="ifNull(command, '')",
                json_type="Nullable(String)",
            ),
        ),
        not_stored=frozenset({"kind"}),
    ),
    Table(
        "leads",
        LeadState,
        (
            same("account_id"),
            same("phone"),
            same("name"),
            same("tags"),
            same("fields"),
            same("profile"),
            utc("updated_at"),
            same("version"),
        ),
        # The outcomes of the commands a lead remembers are the executor's memory (up to
        # 500, to know a command that comes again): every command's outcome is a row of
        # ``commands``. Not produced for the sink in the embedded mode
        # (``schemas.topics.LEADS``). ``sending``: send intents of earlier versions;
        # ``legacy_applied``: the ids of leads written before outcomes were kept.
        not_stored=frozenset({"outcomes", "sending", "legacy_applied"}),
    ),
    Table(
        "config_log",
        ConfigChange,
        (
            same("key"),
            same("account_id"),
            same("record_kind"),
            same("record_json"),
            flag("deleted"),
            utc("changed_at"),
        ),
        not_stored=frozenset({"kind"}),
    ),
    Table(
        "rejected_requests",
        RejectedRequest,
        (
            same("request_id"),
            same("account_id"),
            same("integration_id"),
            utc("received_at"),
            same("status"),
            same("reason"),
            text("scheme"),
            same("method"),
            text("content_type"),
            masked_headers(),
            same("body_bytes"),
            same("body_excerpt"),
            text("remote"),
        ),
        not_stored=frozenset({"kind"}),
    ),
    Table(
        "deadletters",
        DeadLetter,
        (
            Column("request_id", attrgetter("envelope.request_id"), None),
            Column("account_id", attrgetter("envelope.account_id"), None),
            Column("integration_id", attrgetter("envelope.integration_id"), None),
            same("reason"),
            same("errors"),
            Column("envelope_json", lambda r: r.envelope.model_dump_json(), "envelope"),
            same("source_offset"),
            utc("failed_at"),
        ),
        # The offset is enough to find it again (for people); the topic and partition
        # are the webhooks topic and the request's own partition.
        not_stored=frozenset({"source_topic", "source_partition"}),
    ),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
#: The tables ClickHouse fills from records as written, by the records' ``kind``.
READ_BY_CLICKHOUSE: dict[str, Table] = {
    t.kind: t for t in TABLES if t.kind is not None and t.read_by_clickhouse
}
_BY_RECORD: dict[type[BaseModel], Table] = {t.record: t for t in TABLES}


def rows_for(record: Any) -> tuple[str, list[Any]]:
    """The table a record goes to, and its row in that table's column order."""
    table = _BY_RECORD.get(type(record))
    if table is None:
        raise TypeError(f"no history table for {type(record).__name__}")
    return table.name, table.row(record)
