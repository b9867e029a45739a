"""ClickHouse connection and DDL. Embedded: ``chdb:///DIR`` (in-process engine,
one process per directory); otherwise an ``http(s)://`` DSN to a server.

The chdb client is synchronous and not for concurrent use, so every call goes
through one worker thread (:class:`ClickHouse`).

An insert reuses its table's insert context (column names and types): building one
asks the server to describe the table, a query per insert that cost as much as writing
a batch of 2,000 commands (bench/history.py).

Embedded ClickHouse also reads a batch of JSON records itself (:meth:`insert_json`):
they go to an in-memory file (``memfd``: never on disk; clickhouse-connect's own chdb
insert writes a temporary file) that the engine, in this process, reads by its
``/proc/self/fd`` path."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.binding import format_str
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.insert import InsertContext

DDL_DIR = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: A statement that builds an index or projection for the parts stored before it existed.
_MATERIALIZE = re.compile(
    r"^ALTER TABLE \S+\.(\w+) MATERIALIZE (?:INDEX|PROJECTION) (\w+)$", re.IGNORECASE
)
#: An index or projection in a table's CREATE statement.
_DECLARED = re.compile(r"\b(?:INDEX|PROJECTION) (\w+)")


#: How records are read from JSON: fields the table does not store (``kind``) skipped,
#: objects kept as their text (``fields``), times as written (ISO 8601 with a zone).
#: In the statement's SETTINGS clause: given apart, clickhouse-connect's chdb backend
#: reads system.settings and runs a SET before and after the insert for each of them
#: (11 queries an insert, half the insert's time in py-spy's samples).
_JSON_INPUT = (
    "input_format_skip_unknown_fields = 1, input_format_json_read_objects_as_strings = 1,"
    " date_time_input_format = 'best_effort',"
    # toJSONString (masked headers) writes "/" as jsontext does.
    " output_format_json_escape_forward_slashes = 0,"
    # Parsing in one thread: 35,500 webhook rows/s and 29 us of CPU a row, against 30,600
    # and 40 us in parallel (bench/history.py, stop 37): the batch is one block anyway.
    # One thread for the whole insert: in hookline dev the other core is the workers'.
    " input_format_parallel_parsing = 0, max_threads = 1"
)


#: From a table's column types (by column), the SELECT list computing its columns from
#: records read as JSON, and the structure they are read with (``Table.json_select``).
Select = Callable[[dict[str, str]], tuple[str, str]]


class ClickHouseUnavailable(RuntimeError):
    pass


def connect(dsn: str) -> Client:
    try:
        if dsn.startswith("chdb://"):
            path = dsn.removeprefix("chdb://")
            Path(path).mkdir(parents=True, exist_ok=True)
            return clickhouse_connect.get_client(interface="chdb", path=path)
        return clickhouse_connect.get_client(dsn=dsn)
    except ImportError as exc:
        raise ClickHouseUnavailable(
            "embedded ClickHouse needs the 'embedded' extra: pip install -e '.[embedded]'"
        ) from exc
    except Exception as exc:
        raise ClickHouseUnavailable(f"cannot open ClickHouse at {dsn!r}: {exc}") from exc


def _is_chdb(client: Client) -> bool:
    return type(client).__module__.endswith("_chdbclient")


def checked_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid ClickHouse identifier {name!r}")
    return name


def ddl_statements(database: str) -> list[str]:
    db = checked_identifier(database)
    statements: list[str] = []
    for path in sorted(DDL_DIR.glob("*.sql")):
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")
        )
        statements += [s.strip().replace("{db}", db) for s in text.split(";") if s.strip()]
    return statements


class ClickHouse:
    """Async facade over one client, serialised on a single thread."""

    def __init__(
        self, client: Client, database: str, thread: ThreadPoolExecutor | None = None
    ) -> None:
        self.client = client
        self.database = checked_identifier(database)
        self._thread = thread or ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
        #: By table and columns; used and changed on the worker thread only.
        self._insert_contexts: dict[tuple[str, tuple[str, ...]], InsertContext] = {}
        #: Each table's SELECT list and JSON structure for :meth:`insert_json`, built
        #: once from its column types (worker thread only).
        self._json_selects: dict[str, tuple[str, str]] = {}

    def with_database(self, database: str) -> ClickHouse:
        """Another database on the same client and thread (tests isolate by database)."""
        return ClickHouse(self.client, database, self._thread)

    @classmethod
    def open(cls, dsn: str, database: str = "hookline") -> ClickHouse:
        return cls(connect(dsn), database)

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    async def migrate(self) -> None:
        """Apply every DDL statement (each may run again) but the MATERIALIZE of an index
        or projection that was there before this run: it rewrites every part, and the
        parts stored since the index was added have it already."""
        built = await self._call(self._indexes_and_projections)
        for statement in ddl_statements(self.database):
            target = _MATERIALIZE.match(statement)
            if target and (target[1], target[2]) in built:
                continue
            await self._call(self.client.command, statement)
        await self._call(self._forget_tables)  # column types may have changed

    def _forget_tables(self) -> None:
        self._insert_contexts.clear()
        self._json_selects.clear()

    @property
    def reads_json(self) -> bool:
        """Whether :meth:`insert_json` works here: embedded ClickHouse (it reads the
        in-memory file of this process) on Linux (``memfd``)."""
        return _is_chdb(self.client) and hasattr(os, "memfd_create")

    def _indexes_and_projections(self) -> set[tuple[str, str]]:
        """(table, name) of each data-skipping index and projection in the database."""
        result = self.client.query(
            "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
            parameters={"db": self.database},
        )
        return {
            (table, name)
            for table, create in result.result_rows
            for name in _DECLARED.findall(create)
        }

    async def insert(self, table: str, rows: list[list[Any]], columns: list[str]) -> None:
        await self._call(self._insert, checked_identifier(table), rows, tuple(columns))

    def _insert(self, table: str, rows: list[list[Any]], columns: tuple[str, ...]) -> None:
        key = (table, columns)
        context = self._insert_contexts.get(key)
        if context is None:
            context = self.client.create_insert_context(f"{self.database}.{table}", list(columns))
            self._insert_contexts[key] = context
        try:
            self.client.insert(data=rows, context=context)
        except Exception:
            # Described again next time: the table may have been changed under us.
            del self._insert_contexts[key]
            raise
        finally:
            context.data = None

    async def insert_json(
        self, table: str, columns: list[str], records: list[bytes], select: Select
    ) -> None:
        """Insert ``records`` (JSON objects) into ``table``, its columns computed by
        ClickHouse: ``select`` gives the SELECT list and the structure the records are read
        with, from the table's column types. One INSERT: all of it or none (a record that
        does not parse fails it)."""
        await self._call(self._insert_json, checked_identifier(table), columns, records, select)

    def _insert_json(
        self, table: str, columns: list[str], records: list[bytes], select: Select
    ) -> None:
        built = self._json_selects.get(table)
        if built is None:
            described = self.client.query(f"DESCRIBE TABLE {self.database}.{table}")
            built = select({row[0]: row[1] for row in described.result_rows})
            self._json_selects[table] = built
        expressions, structure = built
        fd = os.memfd_create(f"hookline-{table}", os.MFD_CLOEXEC)
        try:
            with open(fd, "wb", closefd=False) as batch:
                batch.write(b"\n".join(records))
            # Identifiers checked; the expressions and structure are the code's own
            # (hookline/history/tables.py); no value of a record is in the statement.
            target = f"{self.database}.{table} ({', '.join(map(checked_identifier, columns))})"
            source = f"file('/proc/self/fd/{fd}', 'JSONEachRow', {format_str(structure)})"
            select_all = f"SELECT {expressions} FROM {source} SETTINGS {_JSON_INPUT}"  # noqa: S608
            self.client.command(f"INSERT INTO {target} {select_all}")
        except Exception:
            self._json_selects.pop(table, None)  # the table may have been changed under us
            raise
        finally:
            os.close(fd)

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """``sql`` may name tables as ``{db}.table``; values go in ``{name:Type}`` parameters."""
        result = await self._query(sql, parameters)
        return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]

    async def rows(
        self, sql: str, parameters: dict[str, Any] | None = None
    ) -> Sequence[Sequence[Any]]:
        """As :meth:`query`, the rows as tuples (no dict a row: for millions of them)."""
        return (await self._query(sql, parameters)).result_rows

    async def _query(self, sql: str, parameters: dict[str, Any] | None) -> Any:
        return await self._call(
            self.client.query, sql.replace("{db}", self.database), parameters=parameters or {}
        )

    async def ping(self) -> bool:
        try:
            await self._call(self.client.command, "SELECT 1")
        except Exception:
            return False
        return True

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.client.close()
