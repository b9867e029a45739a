"""Rows in and out of the history tables.

Writing: the tables' definitions (``hookline/history/tables.py``) give each record's
table, columns and row. Reading: :class:`HistoryStore` holds every query the API
runs, always filtered by account (tenant isolation) and always with bound
parameters.

Reading the latest rows of a ReplacingMergeTree with ``FINAL`` merges every version of
the range asked for, and the views ask for the newest few of ranges that hold up to
millions of rows (bench/history.py). So the views first find the keys they need without
``FINAL`` (the newest keys, read in the sorting key's order; a lead's keys from the
``webhooks_by_phone`` projection), then read those keys' rows with ``FINAL``. A row of
every version is on disk until merges collapse them, so the keys found are a superset of
the answer's; where a version-dependent filter could leave fewer rows than asked, the
read is repeated wider (never a short answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hookline.history.clickhouse import ClickHouse
from hookline.history.tables import BY_NAME
from schemas.commands import lead_key


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    """clickhouse-connect returns naive datetimes; every stored time is UTC."""
    return {
        k: (v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v)
        for k, v in row.items()
    }


#: Bounds of the stored times (DateTime64's range): "no bound" in a time filter.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2299, 12, 31, tzinfo=UTC)


def _nth_key_time(rows: list[dict[str, Any]], count: int) -> datetime | None:
    """Of webhook keys read newest first (one row per stored version: a key repeats until
    merges collapse it), the ``received_at`` of the ``count``-th distinct key; None when
    fewer were read. At least ``count`` keys are at or after that time, and none of the
    newest ``count`` before it."""
    seen: set[tuple[datetime, str]] = set()
    for row in rows:
        seen.add((row["received_at"], row["request_id"]))
        if len(seen) == count:
            return row["received_at"].replace(tzinfo=UTC)
    return None


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

#: Of each kind of timeline entry but webhooks, the lead's latest before a key
#: (``first``: no key yet); at one instant a webhook ranks first, then its commands,
#: then its message. Each key's latest version is FINAL's row, found with argMax: FINAL
#: merged one granule of every part (15 parts: 30 ms) for the few rows of a lead. Nothing
#: before ``floor`` can be on the page (``HistoryStore.timeline``); dropping a key's
#: older versions before it leaves its latest one.
_TIMELINE = {
    "command": (
        "SELECT command_id, tupleElement(latest, 1) AS integration_id,"
        " tupleElement(latest, 2) AS request_id, tupleElement(latest, 3) AS type, status,"
        " tupleElement(latest, 4) AS detail, at, command_id AS id"
        " FROM (SELECT command_id, status, max(applied_at) AS at,"
        "   argMax(tuple(integration_id, request_id, type, detail), applied_at) AS latest"
        "   FROM {db}.commands WHERE account_id = {account:String} AND phone = {phone:String}"
        "   AND applied_at >= {floor:DateTime64(3, 'UTC')}"
        # A redelivered command's "duplicate" notes say nothing new of the lead.
        "   AND status != 'duplicate' GROUP BY command_id, status)"
        " WHERE {first:Bool} OR (at, 1, command_id)"
        "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String})"
        " ORDER BY at DESC, command_id DESC LIMIT {limit:UInt32}"
    ),
    "message": (
        "SELECT command_id, tupleElement(latest, 1) AS channel,"
        " tupleElement(latest, 2) AS message_type, tupleElement(latest, 3) AS content,"
        " tupleElement(latest, 4) AS status, tupleElement(latest, 5) AS reason, at,"
        " command_id AS id"
        " FROM (SELECT command_id, max(sent_at) AS at,"
        "   argMax(tuple(channel, message_type, content, status, reason), sent_at) AS latest"
        "   FROM {db}.messages WHERE account_id = {account:String} AND phone = {phone:String}"
        "   AND sent_at >= {floor:DateTime64(3, 'UTC')} GROUP BY command_id)"
        " WHERE {first:Bool} OR (at, 2, command_id)"
        "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String})"
        " ORDER BY at DESC, command_id DESC LIMIT {limit:UInt32}"
    ),
}

#: The keys of an integration's newest webhooks (of the pings too, or not), one row per
#: stored version: the sorting key's order, read backwards.
_NEWEST_KEYS = (
    "SELECT received_at, request_id FROM {db}.webhooks"
    " WHERE account_id = {account:String} AND integration_id = {integration:String}"
    " ORDER BY received_at DESC, request_id DESC LIMIT {window:UInt32}"
)
_NEWEST_KEYS_NOT_PINGS = (
    "SELECT received_at, request_id FROM {db}.webhooks"
    " WHERE account_id = {account:String} AND integration_id = {integration:String}"
    " AND status != 'ping' ORDER BY received_at DESC, request_id DESC LIMIT {window:UInt32}"
)

#: The keys of a lead's latest webhooks before a key, one row per stored version
#: (``webhooks_by_phone``: sorted by account and phone).
_LEAD_WEBHOOK_KEYS = (
    "SELECT received_at, request_id, integration_id FROM {db}.webhooks"
    " WHERE account_id = {account:String} AND phone = {phone:String}"
    " AND ({first:Bool} OR (received_at, 0, request_id)"
    "   < ({at:DateTime64(3, 'UTC')}, {rank:UInt8}, {id:String}))"
    " ORDER BY received_at DESC, request_id DESC LIMIT {window:UInt32}"
)
#: Those webhooks' latest versions that still name the lead (the sorting key's columns
#: pick their granules).
_LEAD_WEBHOOKS = (
    "SELECT request_id, integration_id, status, event, matched_event_ids, action_types,"
    " errors, received_at AS at, request_id AS id FROM {db}.webhooks FINAL"
    " WHERE account_id = {account:String} AND integration_id IN {integrations:Array(String)}"
    " AND received_at IN {times:Array(DateTime64(3, 'UTC'))}"
    " AND request_id IN {ids:Array(String)} AND phone = {phone:String}"
    " ORDER BY received_at DESC, request_id DESC LIMIT {limit:UInt32}"
)

#: The account's leads after a phone that pass the filters set, a page of them. A
#: filter not set is a constant true, which ClickHouse folds away before it picks the
#: data-skipping indexes the others can use.
_LEADS = (
    "SELECT phone, name, tags, fields, profile, updated_at FROM {db}.leads FINAL"
    " WHERE account_id = {account:String} AND phone > {after:String}"
    " AND ({any_tag:Bool} OR has(tags, {tag:String}))"
    # A map's absent key reads "", and a filter value is never "".
    " AND ({column:String} != 'fields' OR fields[{name:String}] = {value:String})"
    " AND ({column:String} != 'profile' OR profile[{name:String}] = {value:String})"
    " AND ({any_phone:Bool} OR phone IN {phones:Array(String)})"
    " AND updated_at >= {updated_from:DateTime64(3, 'UTC')}"
    " AND updated_at < {updated_to:DateTime64(3, 'UTC')}"
    " ORDER BY phone LIMIT {limit:UInt32}"
    # A page is read a granule at a time: with the default block (65,536 rows) a page
    # read ten times the rows it lists before its LIMIT stopped the read.
    " SETTINGS max_block_size = 8192"
)

#: The first ``window`` phones after a phone that an integration's webhooks mapped (not
#: failed ones), in order: ``webhooks_by_phone`` holds them in order, and grouping in
#: that order stops at the window (a phone with a thousand webhooks is one row).
_INTEGRATION_PHONES = (
    "SELECT phone FROM {db}.webhooks"
    " WHERE account_id = {account:String} AND integration_id = {integration:String}"
    " AND phone > {after:String} AND phone IS NOT NULL AND status != 'error'"
    " GROUP BY phone ORDER BY phone LIMIT {window:UInt32}"
    " SETTINGS optimize_aggregation_in_order = 1"
)


class HistoryStore:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.db = clickhouse

    async def write(self, table: str, rows: list[list[Any]]) -> None:
        await self.db.insert(table, rows, BY_NAME[table].column_names)

    @property
    def reads_json(self) -> bool:
        """Whether :meth:`write_json` works here (embedded ClickHouse)."""
        return self.db.reads_json

    async def write_json(self, table: str, records: list[bytes]) -> None:
        """Store records as written to their topic, ClickHouse computing the rows."""
        definition = BY_NAME[table]
        await self.db.insert_json(table, definition.column_names, records, definition.json_select)

    async def lead_versions(self) -> dict[str, int]:
        """Every stored lead's latest version, by lead key: a restore after a crash
        publishes only the journaled leads that are not here at their version."""
        rows = await self.db.rows(
            "SELECT account_id, phone, max(version) FROM {db}.leads GROUP BY account_id, phone"
        )
        return {lead_key(account, phone): version for account, phone, version in rows}

    async def webhooks(
        self, account_id: str, integration_id: str, limit: int = 50
    ) -> list[dict[str, Any]]:
        rows = await self._newest_webhooks(
            "SELECT * EXCEPT (account_id) FROM {db}.webhooks FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " AND received_at >= {since:DateTime64(3, 'UTC')}"
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
        return await self._newest_webhooks(
            "SELECT body_format, parsed_json, body_text, headers_json FROM {db}.webhooks FINAL"
            " WHERE account_id = {account:String} AND integration_id = {integration:String}"
            " AND received_at >= {since:DateTime64(3, 'UTC')}"
            " AND status != 'ping' ORDER BY received_at DESC, request_id DESC LIMIT {limit:UInt32}",
            {"account": account_id, "integration": integration_id, "limit": limit},
            keys=_NEWEST_KEYS_NOT_PINGS,
        )

    async def _newest_webhooks(
        self, sql: str, scope: dict[str, Any], *, keys: str = _NEWEST_KEYS
    ) -> list[dict[str, Any]]:
        """``sql`` (FINAL, ``received_at >= {since}``, ``LIMIT {limit}``) over only the
        newest webhooks of the integration: from the time of its ``limit``-th newest key
        (``keys``, read without FINAL in the sorting key's order: a few granules), not
        every version of its whole history. ``keys`` filters as ``sql`` does; a status
        filter could differ between versions of a key, so should it leave fewer rows than
        asked from that time, the whole history is read."""
        limit, window, since = scope["limit"], scope["limit"], None
        while True:
            read = await self.db.query(keys, scope | {"window": window})
            since = _nth_key_time(read, limit)
            if since is not None or len(read) < window:
                break
            window *= 4  # versions not merged yet: more rows for as many keys
        rows = await self.db.query(sql, scope | {"since": since or _EARLIEST})
        if since is not None and len(rows) < limit:
            rows = await self.db.query(sql, scope | {"since": _EARLIEST})
        return rows

    async def lead(self, account_id: str, phone: str) -> dict[str, Any] | None:
        rows = await self.db.query(
            "SELECT phone, name, tags, fields, profile, updated_at FROM {db}.leads FINAL"
            " WHERE account_id = {account:String} AND phone = {phone:String}",
            {"account": account_id, "phone": phone},
        )
        return _aware(rows[0]) if rows else None

    async def leads(self, account_id: str, query: LeadFilter) -> list[dict[str, Any]]:
        """The account's leads that pass every filter of ``query``, by phone, after
        ``query.after``, at most ``query.limit``.

        With ``query.integration``: the phones its webhooks mapped come in order, a window
        at a time, and the leads are read among those phones only (all of them, as
        before, took reading the integration's every webhook for each page); the window
        grows until the page is full or the phones run out."""
        column, name, value = query.field or ("", "", "")
        scope = {
            "account": account_id,
            "any_tag": query.tag is None,
            "tag": query.tag or "",
            "column": column,
            "name": name,
            "value": value,
            "any_phone": True,
            "phones": [],
            "updated_from": query.updated_from or _EARLIEST,
            "updated_to": query.updated_to or _LATEST,
        }
        if query.integration is None:
            return await self._leads(scope | {"after": query.after, "limit": query.limit})
        found: list[dict[str, Any]] = []
        after, window = query.after, 2 * query.limit
        while len(found) < query.limit:
            read = await self.db.query(
                _INTEGRATION_PHONES,
                {
                    "account": account_id,
                    "integration": query.integration,
                    "after": after,
                    "window": window,
                },
            )
            if not read:
                break
            phones = [row["phone"] for row in read]
            found += await self._leads(
                scope
                | {
                    "after": after,
                    "any_phone": False,
                    "phones": phones,
                    "limit": query.limit - len(found),
                }
            )
            if len(read) < window:
                break
            after, window = phones[-1], window * 4
        return found

    async def _leads(self, scope: dict[str, Any]) -> list[dict[str, Any]]:
        return [_aware(r) for r in await self.db.query(_LEADS, scope)]

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
        webhooks = await self._lead_webhooks(scope)
        # With a page of webhooks, an entry older than the last of them has a page of
        # entries before it: commands and messages are read from that time (only the
        # partitions since then).
        floor = webhooks[-1]["at"] if len(webhooks) == limit else _EARLIEST
        entries: list[dict[str, Any]] = []
        for kind_rank, kind in enumerate(("webhook", "command", "message")):
            if kind == "webhook":
                rows = webhooks
            else:
                rows = await self.db.query(_TIMELINE[kind], scope | {"floor": floor})
            for row in rows:
                row = _aware(row)
                key = (row["at"], kind_rank, row.pop("id"))
                entries.append(row | {"kind": kind, "key": key})
        entries.sort(key=lambda entry: entry["key"], reverse=True)
        return entries[:limit]

    async def _lead_webhooks(self, scope: dict[str, Any]) -> list[dict[str, Any]]:
        """The lead's latest webhooks before the key in ``scope`` (as ``_TIMELINE``'s
        entries). Their keys come from the ``webhooks_by_phone`` projection (the webhooks
        are sorted by integration and time, not phone), then their rows with FINAL. A key
        whose latest version no longer names this phone is dropped there; should that
        leave fewer than asked, more keys are read."""
        window = scope["limit"]
        while True:
            keys = await self.db.query(_LEAD_WEBHOOK_KEYS, scope | {"window": window})
            if not keys:
                return []
            rows = await self.db.query(
                _LEAD_WEBHOOKS,
                scope
                | {
                    "integrations": sorted({k["integration_id"] for k in keys}),
                    "times": [k["received_at"] for k in keys],
                    "ids": [k["request_id"] for k in keys],
                },
            )
            if len(rows) >= scope["limit"] or len(keys) < window:
                return rows
            window *= 4

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
            # A replayed dead letter whose webhook then went through is no longer
            # outstanding: its webhook's latest version (FINAL's row: the highest
            # processed_at) is not an error. Only these dead letters' webhooks are looked
            # at, not every webhook of the integration with FINAL.
            " AND request_id NOT IN (SELECT request_id FROM {db}.webhooks"
            "   WHERE account_id = {account:String} AND integration_id = {integration:String}"
            "   AND request_id IN (SELECT request_id FROM {db}.deadletters"
            "     WHERE account_id = {account:String} AND integration_id = {integration:String}"
            "     AND ({every:Bool} OR request_id IN {ids:Array(String)}))"
            "   GROUP BY request_id HAVING argMax(status, processed_at) != 'error')"
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
