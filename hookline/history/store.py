"""Rows in and out of the history tables.

Writing: the tables' definitions (``hookline/history/tables.py``) give each record's
table, columns and row. Reading: :class:`HistoryStore` holds every query the API
runs, always filtered by account (tenant isolation) and always with bound
parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hookline.history.clickhouse import ClickHouse
from hookline.history.tables import BY_NAME


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    """clickhouse-connect returns naive datetimes; every stored time is UTC."""
    return {
        k: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v)
        for k, v in row.items()
    }


#: Bounds of the stored times (DateTime64's range): "no bound" in a time filter.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2299, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class LeadFilter:
    """Which leads :meth:`HistoryStore.leads` lists (None: no such filter)."""

    #: Phones after this one ("" from the start).
    after: str = ""
    limit: int = 50
    tag: str | None = None
    #: ``(column, name, value)``: ``fields`` or ``profile``, and the value as stored.
    field: tuple[str, str, str] | None = None
    integration: str | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


#: Where a timeline entry stands: its time, its kind's rank (at one instant a webhook,
#: then its commands, then its message), its id.
TimelineKey = tuple[datetime, int, str]

#: One query per kind of timeline entry, in rank order; each the lead's latest entries
#: before a key (``first``: no key yet).
_TIMELINE = (
    (
        "webhook",
        "SELECT request_id, integration_id, status, event, matched_event_ids, action_types,"
        " errors, received_at AS at, request_id AS id FROM {db}.webhooks FINAL"
        " WHERE account_id = {account:String} AND phone = {phone:String}"
        " AND ({first:Bool} OR (received_at, 0, request_id)"
        "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String}))"
        " ORDER BY received_at DESC, request_id DESC LIMIT {limit:UInt32}",
    ),
    (
        "command",
        # A redelivered command's "duplicate" notes say nothing new of the lead.
        "SELECT command_id, integration_id, request_id, type, status, detail,"
        " applied_at AS at, command_id AS id FROM {db}.commands FINAL"
        " WHERE account_id = {account:String} AND phone = {phone:String}"
        " AND status != 'duplicate'"
        " AND ({first:Bool} OR (applied_at, 1, command_id)"
        "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String}))"
        " ORDER BY applied_at DESC, command_id DESC LIMIT {limit:UInt32}",
    ),
    (
        "message",
        "SELECT command_id, channel, message_type, content, status, reason,"
        " sent_at AS at, command_id AS id FROM {db}.messages FINAL"
        " WHERE account_id = {account:String} AND phone = {phone:String}"
        " AND ({first:Bool} OR (sent_at, 2, command_id)"
        "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String}))"
        " ORDER BY sent_at DESC, command_id DESC LIMIT {limit:UInt32}",
    ),
)


class HistoryStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.db = clickhouse

    async def write(self, table: str, rows: list[list[Any]]) -> None:
        await self.db.insert(table, rows, BY_NAME[table].column_names)

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
            "SELECT phone, name, tags, fields, profile, updated_at FROM {db}.leads FINAL"
            " WHERE account_id = {account:String} AND phone = {phone:String}",
            {"account": account_id, "phone": phone},
        )
        return _aware(rows[0]) if rows else None

    async def leads(self, account_id: str, query: LeadFilter) -> list[dict[str, Any]]:
        """The account's leads that pass every filter of ``query``, by phone, after
        ``query.after``, at most ``query.limit``."""
        column, name, value = query.field or ("", "", "")
        rows = await self.db.query(
            "SELECT phone, name, tags, fields, profile, updated_at FROM {db}.leads FINAL"
            " WHERE account_id = {account:String} AND phone > {after:String}"
            " AND ({any_tag:Bool} OR has(tags, {tag:String}))"
            # A map's absent key reads "", and a filter value is never "".
            " AND ({column:String} != 'fields' OR fields[{name:String}] = {value:String})"
            " AND ({column:String} != 'profile' OR profile[{name:String}] = {value:String})"
            " AND ({any_integration:Bool} OR phone IN (SELECT assumeNotNull(phone)"
            "   FROM {db}.webhooks WHERE account_id = {account:String}"
            "   AND integration_id = {integration:String}"
            "   AND phone IS NOT NULL AND status != 'error'))"
            " AND updated_at >= {updated_from:DateTime64(3, 'UTC')}"
            " AND updated_at < {updated_to:DateTime64(3, 'UTC')}"
            " ORDER BY phone LIMIT {limit:UInt32}",
            {
                "account": account_id,
                "after": query.after,
                "any_tag": query.tag is None,
                "tag": query.tag or "",
                "column": column,
                "name": name,
                "value": value,
                "any_integration": query.integration is None,
                "integration": query.integration or "",
                "updated_from": query.updated_from or _EARLIEST,
                "updated_to": query.updated_to or _LATEST,
                "limit": query.limit,
            },
        )
        return [_aware(r) for r in rows]

    async def timeline(
        self, account_id: str, phone: str, limit: int, before: TimelineKey | None = None
    ) -> list[dict[str, Any]]:
        """The lead's webhooks, commands and messages: the latest ``limit`` entries
        before ``before``, newest first, each with its ``kind``, ``at`` and ``key`` (its
        :data:`TimelineKey`)."""
        at, rank, entry_id = before or (_LATEST, 0, "")
        scope = {
            "account": account_id,
            "phone": phone,
            "limit": limit,
            "first": before is None,
            "at": at,
            "rank": rank,
            "id": entry_id,
        }
        entries: list[dict[str, Any]] = []
        for kind_rank, (kind, sql) in enumerate(_TIMELINE):
            for row in await self.db.query(sql, scope):
                row = _aware(row)
                key = (row["at"], kind_rank, row.pop("id"))
                entries.append(row | {"kind": kind, "key": key})
        entries.sort(key=lambda entry: entry["key"], reverse=True)
        return entries[:limit]

    async def messages(self, account_id: str, phone: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self.db.query(
            "SELECT command_id, channel, message_type, content, status, reason, detail,"
            " provider_message_id, sent_at, retry_of FROM {db}.messages FINAL"
            " WHERE account_id = {account:String} AND phone = {phone:String}"
            " ORDER BY sent_at LIMIT {limit:UInt32}",
            {"account": account_id, "phone": phone, "limit": limit},
        )
        return [_aware(r) for r in rows]

    async def message_chains(
        self,
        account_id: str,
        limit: int = 100,
        *,
        failed_only: bool = True,
        containing: str | None = None,
    ) -> list[dict[str, Any]]:
        """Each message with its retries (a chain: the first attempt and the commands
        that sent it again, ``retry_of``), as its latest attempt, newest first: only those
        whose latest attempt was not (surely) sent when ``failed_only``, only the chain
        holding command ``containing`` when given. With ``first_command_id``,
        ``attempts`` and the latest attempt's ``command_json`` (to send it again)."""
        rows = await self.db.query(
            "SELECT first_command_id, attempts, latest_at AS sent_at,"
            " tupleElement(latest, 1) AS command_id, tupleElement(latest, 2) AS phone,"
            " tupleElement(latest, 3) AS channel, tupleElement(latest, 4) AS message_type,"
            " tupleElement(latest, 5) AS content, tupleElement(latest, 6) AS status,"
            " tupleElement(latest, 7) AS reason, tupleElement(latest, 8) AS detail,"
            " tupleElement(latest, 9) AS command_json"
            " FROM (SELECT if(retry_of = '', command_id, retry_of) AS first_command_id,"
            "   count() AS attempts, max(sent_at) AS latest_at, groupArray(command_id) AS ids,"
            "   argMax(tuple(command_id, phone, channel, message_type, content, status,"
            "     reason, detail, command_json), sent_at) AS latest"
            "   FROM {db}.messages FINAL WHERE account_id = {account:String}"
            "   GROUP BY first_command_id)"
            " WHERE (NOT {failed_only:Bool} OR tupleElement(latest, 6) != 'sent')"
            " AND ({every:Bool} OR has(ids, {containing:String}))"
            " ORDER BY latest_at DESC, first_command_id LIMIT {limit:UInt32}",
            {
                "account": account_id,
                "failed_only": failed_only,
                "every": containing is None,
                "containing": containing or "",
                "limit": limit,
            },
        )
        return [_aware(r) for r in rows]

    async def last_failed_message(self, account_id: str, since: datetime) -> dict[str, Any] | None:
        """The account's latest message not (surely) sent at or after ``since``."""
        rows = await self.db.query(
            "SELECT command_id, status, reason, detail, sent_at AS at FROM {db}.messages FINAL"
            " WHERE account_id = {account:String} AND status != 'sent'"
            " AND sent_at >= {since:DateTime64(3, 'UTC')}"
            " ORDER BY sent_at DESC LIMIT 1",
            {"account": account_id, "since": since},
        )
        return _aware(rows[0]) if rows else None

    async def deadletters(
        self,
        account_id: str,
        integration_id: str,
        limit: int = 50,
        request_ids: list[str] | None = None,
        *,
        oldest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """Outstanding dead letters (only ``request_ids`` when given), with the envelope
        for replay: newest first, or with ``oldest_first`` in the order the webhooks were
        received (then their offset on the webhooks topic: the order the worker read them)."""
        rows = await self.db.query(
            "SELECT request_id, reason, errors, failed_at, envelope_json"
            " FROM {db}.deadletters FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " AND ({every:Bool} OR request_id IN {ids:Array(String)})"
            # A replayed dead letter that then went through is no longer outstanding.
            " AND request_id NOT IN (SELECT request_id FROM {db}.webhooks FINAL"
            "   WHERE account_id = {account:String} AND integration_id = {integration:String}"
            "   AND status != 'error')"
            " ORDER BY if({oldest_first:Bool},"
            "   toUnixTimestamp64Milli(parseDateTime64BestEffort("
            "     JSONExtractString(envelope_json, 'received_at'), 3, 'UTC')),"
            "   -toUnixTimestamp64Milli(failed_at)),"
            "  if({oldest_first:Bool}, source_offset, 0), request_id"
            " LIMIT {limit:UInt32}",
            {
                "oldest_first": oldest_first,
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
