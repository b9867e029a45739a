"""The history views' answers computed the plain way, as HistoryStore computed them
before issue 13: one query with FINAL over the whole range (the answer's definition).
tests/integration/history/test_store.py checks the store's faster reads against these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hookline.history.clickhouse import ClickHouse
from hookline.history.store import LeadFilter, TimelineKey

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2299, 12, 31, tzinfo=UTC)


async def webhooks(db: ClickHouse, account: str, integration: str, limit: int) -> list[str]:
    rows = await db.query(
        "SELECT request_id FROM {db}.webhooks FINAL"
        " WHERE account_id = {account:String} AND integration_id = {integration:String}"
        " ORDER BY received_at DESC, request_id LIMIT {limit:UInt32}",
        {"account": account, "integration": integration, "limit": limit},
    )
    return [r["request_id"] for r in rows]


async def recent_bodies(
    db: ClickHouse, account: str, integration: str, limit: int
) -> list[dict[str, Any]]:
    return await db.query(
        "SELECT body_format, parsed_json, body_text, headers_json FROM {db}.webhooks FINAL"
        " WHERE account_id = {account:String} AND integration_id = {integration:String}"
        " AND status != 'ping' ORDER BY received_at DESC, request_id DESC LIMIT {limit:UInt32}",
        {"account": account, "integration": integration, "limit": limit},
    )


async def leads(db: ClickHouse, account: str, query: LeadFilter) -> list[dict[str, Any]]:
    column, name, value = query.field or ("", "", "")
    return await db.query(
        "SELECT phone, name, tags, fields, profile, updated_at FROM {db}.leads FINAL"
        " WHERE account_id = {account:String} AND phone > {after:String}"
        " AND ({any_tag:Bool} OR has(tags, {tag:String}))"
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
            "account": account,
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


async def timeline(
    db: ClickHouse, account: str, phone: str, limit: int, before: TimelineKey | None
) -> list[dict[str, Any]]:
    at, rank, entry_id = before or (_LATEST, 0, "")
    scope = {
        "account": account,
        "phone": phone,
        "limit": limit,
        "first": before is None,
        "at": at,
        "rank": rank,
        "id": entry_id,
    }
    entries = []
    for kind_rank, (kind, sql) in enumerate(_TIMELINE):
        for row in await db.query(sql, scope):
            at_utc = row["at"].replace(tzinfo=UTC)
            key = (at_utc, kind_rank, row.pop("id"))
            entries.append(row | {"at": at_utc, "kind": kind, "key": key})
    entries.sort(key=lambda entry: entry["key"], reverse=True)
    return entries[:limit]


async def deadletters(
    db: ClickHouse,
    account: str,
    integration: str,
    limit: int,
    request_ids: list[str] | None = None,
    *,
    oldest_first: bool = False,
) -> list[str]:
    rows = await db.query(
        "SELECT request_id FROM {db}.deadletters FINAL"
        " WHERE account_id = {account:String} AND integration_id = {integration:String}"
        " AND ({every:Bool} OR request_id IN {ids:Array(String)})"
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
            "account": account,
            "integration": integration,
            "limit": limit,
            "every": not request_ids,
            "ids": request_ids or [],
        },
    )
    return [r["request_id"] for r in rows]
