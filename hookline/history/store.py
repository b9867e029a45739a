"""Rows in and out of the history tables.

Writing: :func:`rows_for` turns each record into (table, row); the column lists
below are the single description of each table's insert shape. Request headers are
stored for people to read, so credential-named ones are masked here, on the way in
(``core.redact.mask_headers``): the envelope on ``hookline.webhooks`` keeps them,
because a mapping may read any header and a replay maps again. Reading:
:class:`HistoryStore` holds every query the API runs, always filtered by
account (tenant isolation) and always with bound parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.redact import mask_headers
from hookline.history.clickhouse import ClickHouse
from schemas.deadletter import DeadLetter
from schemas.history import (
    CommandResult,
    ConfigChange,
    MessageSent,
    RejectedRequest,
    WebhookHistory,
)
from schemas.leads import LeadState

COLUMNS: dict[str, list[str]] = {
    "webhooks": [
        "request_id",
        "account_id",
        "integration_id",
        "delivery_id",
        "received_at",
        "processed_at",
        "status",
        "event",
        "name",
        "phone",
        "phone_raw",
        "fields_json",
        "errors",
        "matched_event_ids",
        "command_ids",
        "action_types",
        "content_type",
        "headers_json",
        "body_format",
        "body_text",
        "parsed_json",
    ],
    "commands": [
        "command_id",
        "account_id",
        "integration_id",
        "request_id",
        "phone",
        "type",
        "status",
        "detail",
        "applied_at",
    ],
    "messages": [
        "command_id",
        "account_id",
        "phone",
        "channel",
        "message_type",
        "content",
        "status",
        "detail",
        "provider_message_id",
        "sent_at",
    ],
    "leads": ["account_id", "phone", "name", "tags", "fields", "applied", "updated_at", "version"],
    "config_log": ["key", "account_id", "record_kind", "record_json", "deleted", "changed_at"],
    "rejected_requests": [
        "request_id",
        "account_id",
        "integration_id",
        "received_at",
        "status",
        "reason",
        "scheme",
        "method",
        "content_type",
        "headers_json",
        "body_bytes",
        "body_excerpt",
        "remote",
    ],
    "deadletters": [
        "request_id",
        "account_id",
        "integration_id",
        "reason",
        "errors",
        "envelope_json",
        "source_offset",
        "failed_at",
    ],
}


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _headers_json(headers: dict[str, str]) -> str:
    return json.dumps(mask_headers(headers), ensure_ascii=False)


def webhook_row(r: WebhookHistory) -> list[Any]:
    return [
        r.request_id,
        r.account_id,
        r.integration_id,
        r.delivery_id or "",
        _utc(r.received_at),
        _utc(r.processed_at),
        r.status,
        r.event,
        r.name,
        r.phone,
        r.phone_raw,
        json.dumps(r.fields, ensure_ascii=False, default=str),
        r.errors,
        r.matched_event_ids,
        r.command_ids,
        r.action_types,
        r.content_type or "",
        _headers_json(r.headers),
        r.body_format,
        r.body_text,
        r.parsed_json,
    ]


def rows_for(record: Any) -> tuple[str, list[Any]]:
    match record:
        case WebhookHistory():
            return "webhooks", webhook_row(record)
        case CommandResult():
            return "commands", [
                record.command_id,
                record.account_id,
                record.integration_id,
                record.request_id,
                record.phone,
                record.type,
                record.status,
                record.detail,
                _utc(record.applied_at),
            ]
        case MessageSent():
            return "messages", [
                record.command_id,
                record.account_id,
                record.phone,
                record.channel,
                record.message_type,
                record.content,
                record.status,
                record.detail,
                record.provider_message_id,
                _utc(record.sent_at),
            ]
        case LeadState():
            return "leads", [
                record.account_id,
                record.phone,
                record.name,
                record.tags,
                record.fields,
                record.applied,
                _utc(record.updated_at),
                record.version,
            ]
        case ConfigChange():
            return "config_log", [
                record.key,
                record.account_id,
                record.record_kind,
                record.record_json,
                int(record.deleted),
                _utc(record.changed_at),
            ]
        case RejectedRequest():
            return "rejected_requests", [
                record.request_id,
                record.account_id,
                record.integration_id,
                _utc(record.received_at),
                record.status,
                record.reason,
                record.scheme or "",
                record.method,
                record.content_type or "",
                _headers_json(record.headers),
                record.body_bytes,
                record.body_excerpt,
                record.remote or "",
            ]
        case DeadLetter():
            envelope = record.envelope
            return "deadletters", [
                envelope.request_id,
                envelope.account_id,
                envelope.integration_id,
                record.reason,
                record.errors,
                envelope.model_dump_json(),
                record.source_offset,
                _utc(record.failed_at),
            ]
    raise TypeError(f"no history table for {type(record).__name__}")


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    """clickhouse-connect returns naive datetimes; every stored time is UTC."""
    return {
        k: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v)
        for k, v in row.items()
    }


class HistoryStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.db = clickhouse

    async def write(self, table: str, rows: list[list[Any]]) -> None:
        await self.db.insert(table, rows, COLUMNS[table])

    async def webhooks(
        self, account_id: str, integration_id: str, limit: int = 50
    ) -> list[dict[str, Any]]:
        rows = await self.db.query(
            "SELECT * EXCEPT (account_id) FROM {db}.webhooks FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " ORDER BY received_at DESC, request_id LIMIT {limit:UInt32}",
            {"account": account_id, "integration": integration_id, "limit": limit},
        )
        for row in rows:
            row["fields"] = json.loads(row.pop("fields_json") or "{}")
            row["headers"] = json.loads(row.pop("headers_json") or "{}")
            row["delivery_id"] = row["delivery_id"] or None  # stored as "" when absent
        return [_aware(r) for r in rows]

    async def recent_bodies(
        self, account_id: str, integration_id: str, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Recent parsed bodies, formats and headers, for the data-structure view."""
        return await self.db.query(
            "SELECT body_format, parsed_json, body_text, headers_json FROM {db}.webhooks FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " AND status != 'ping' ORDER BY received_at DESC LIMIT {limit:UInt32}",
            {"account": account_id, "integration": integration_id, "limit": limit},
        )

    async def lead(self, account_id: str, phone: str) -> dict[str, Any] | None:
        rows = await self.db.query(
            "SELECT phone, name, tags, fields, updated_at FROM {db}.leads FINAL"
            " WHERE account_id = {account:String} AND phone = {phone:String}",
            {"account": account_id, "phone": phone},
        )
        return _aware(rows[0]) if rows else None

    async def messages(self, account_id: str, phone: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self.db.query(
            "SELECT command_id, channel, message_type, content, status, detail,"
            " provider_message_id, sent_at FROM {db}.messages FINAL"
            " WHERE account_id = {account:String} AND phone = {phone:String}"
            " ORDER BY sent_at LIMIT {limit:UInt32}",
            {"account": account_id, "phone": phone, "limit": limit},
        )
        return [_aware(r) for r in rows]

    async def deadletters(
        self,
        account_id: str,
        integration_id: str,
        limit: int = 50,
        request_ids: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Outstanding dead letters (only ``request_ids`` when given), newest first,
        with the envelope for replay."""
        rows = await self.db.query(
            "SELECT request_id, reason, errors, failed_at, envelope_json"
            " FROM {db}.deadletters FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " AND ({every:Bool} OR request_id IN {ids:Array(String)})"
            # A replayed dead letter that then went through is no longer outstanding.
            " AND request_id NOT IN (SELECT request_id FROM {db}.webhooks FINAL"
            "   WHERE account_id = {account:String} AND integration_id = {integration:String}"
            "   AND status != 'error')"
            " ORDER BY failed_at DESC LIMIT {limit:UInt32}",
            {
                "account": account_id,
                "integration": integration_id,
                "limit": limit,
                "every": not request_ids,
                "ids": request_ids or [],
            },
        )
        return [_aware(r) for r in rows]

    async def rejected(
        self, account_id: str, integration_id: str, limit: int = 50
    ) -> list[dict[str, Any]]:
        rows = await self.db.query(
            "SELECT * EXCEPT (account_id, integration_id) FROM {db}.rejected_requests FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " ORDER BY received_at DESC, request_id LIMIT {limit:UInt32}",
            {"account": account_id, "integration": integration_id, "limit": limit},
        )
        for row in rows:
            row["headers"] = json.loads(row.pop("headers_json") or "{}")
            for name in ("scheme", "content_type", "remote"):
                row[name] = row[name] or None
        return [_aware(r) for r in rows]

    async def completed(self, requests: list[tuple[str, str, str]]) -> set[str]:
        """Of ``(request_id, account_id, integration_id)``, the requests whose processing
        is entirely stored: the webhook's row, a result for each of its commands, and
        its dead letter if it failed. Filters lead with the tables' sort keys."""
        if not requests:
            return set()
        ids = [r[0] for r in requests]
        accounts = sorted({r[1] for r in requests})
        integrations = sorted({r[2] for r in requests})
        scope = {"ids": ids, "accounts": accounts, "integrations": integrations}
        webhooks = await self.db.query(
            "SELECT request_id, status, phone, command_ids FROM {db}.webhooks FINAL"
            " WHERE account_id IN {accounts:Array(String)}"
            " AND integration_id IN {integrations:Array(String)}"
            " AND request_id IN {ids:Array(String)}",
            scope,
        )
        commands = [c for w in webhooks for c in w["command_ids"]]
        done_commands: set[str] = set()
        if commands:
            rows = await self.db.query(
                "SELECT DISTINCT command_id FROM {db}.commands"
                " WHERE account_id IN {accounts:Array(String)}"
                " AND phone IN {phones:Array(String)} AND command_id IN {commands:Array(String)}",
                {
                    "accounts": accounts,
                    "phones": sorted({w["phone"] for w in webhooks if w["phone"]}),
                    "commands": commands,
                },
            )
            done_commands = {r["command_id"] for r in rows}
        dead: set[str] = set()
        if any(w["status"] == "error" for w in webhooks):
            rows = await self.db.query(
                "SELECT DISTINCT request_id FROM {db}.deadletters"
                " WHERE account_id IN {accounts:Array(String)}"
                " AND integration_id IN {integrations:Array(String)}"
                " AND request_id IN {ids:Array(String)}",
                scope,
            )
            dead = {r["request_id"] for r in rows}
        return {
            w["request_id"]
            for w in webhooks
            if set(w["command_ids"]) <= done_commands
            and (w["status"] != "error" or w["request_id"] in dead)
        }

    async def latest_config(self) -> list[dict[str, Any]]:
        """The last state of every config key (deleted ones included), oldest first."""
        rows = await self.db.query(
            "SELECT key, argMax(record_json, (changed_at, deleted)) AS last_json,"
            " argMax(deleted, (changed_at, deleted)) AS last_deleted,"
            " max(changed_at) AS last_changed"
            " FROM {db}.config_log GROUP BY key ORDER BY last_changed"
        )
        return [
            {
                "key": r["key"],
                "record_json": r["last_json"],
                "deleted": r["last_deleted"],
                "changed_at": _aware(r)["last_changed"],
            }
            for r in rows
        ]
