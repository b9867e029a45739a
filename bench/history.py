"""History at scale (issue 13): how fast the history sink writes into embedded
ClickHouse, and how long the integration views take with many stored webhooks.

    python bench/history.py                       # 1,000,000 webhooks (a few minutes)
    python bench/history.py --webhooks 100000     # a quick run

A fresh chdb ClickHouse in a temporary directory, migrated as ``hookline dev`` does.

1. **Sink**: records of each kind (webhooks with ~1-3 KB platform bodies, commands) are
   encoded as they travel on ``hookline.history``, then stored by the sink's own
   ``Batch`` in batches of ``history_batch_size``, three ways: ClickHouse reading the
   records (the sink on embedded ClickHouse); the same noting what the journal pruner
   reads (``hookline dev``); each record decoded and its row built in Python (the sink
   against a ClickHouse server, and on embedded ClickHouse before stop 37). Beside them,
   the bare engine: the same rows, read back pre-encoded (``FORMAT Native``), inserted
   into a twin table with ``INSERT ... FORMAT Native`` in batches of the same size.
   Rounds alternate them; the figures are each one's median.
2. **Views**: a history of ``--webhooks`` webhooks over three accounts and five
   integrations (one holding 70% of them), with their commands, messages, dead letters
   (half replayed), re-delivered rows and the leads' states (some written twice), is
   stored through the same write path; then the API (``hookline serve --api``'s app, on
   the embedded broker) is called over HTTP: each view ``--calls`` times after a first,
   cold call reported apart, against the 100 ms target. The ClickHouse part of each view
   (the HistoryStore method its handler calls) is timed apart too.

Progress goes to stderr; the tables to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiokafka import ConsumerRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import progress
from bench.workdir import work_dir
from core.kafka import ensure_topics
from core.loop import settle_gc
from core.settings import Settings
from hookline.embedded.broker import EmbeddedBroker, free_port
from hookline.history.clickhouse import ClickHouse
from hookline.history.finished import RecentlyStored
from hookline.history.sink import Batch
from hookline.history.store import HistoryStore, LeadFilter
from hookline.history.tables import BY_NAME, rows_for
from hookline.runtime import Runtime
from hookline.server import build_http_app
from schemas.deadletter import DeadLetter
from schemas.envelope import WebhookEnvelope
from schemas.history import CommandResult, MessageSent, RejectedRequest, WebhookHistory
from schemas.leads import LeadState
from schemas.topics import HISTORY

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "platforms"
TARGET_ROWS_PER_S = 100_000
TARGET_MS = 100.0
ADMIN_TOKEN = "bench-admin-token"
#: The stored history spans this long (three or four monthly partitions), up to now (the
#: rejected requests' table keeps 30 days).
SPAN = timedelta(days=90)
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - SPAN


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- bodies --------------------------------------------------------------------------------
#: Keys whose string values vary per webhook (the rest of a platform's body repeats).
_VARYING = (("email", "{email}"), ("name", "{name}"), ("cel", "{phone}"), ("tel", "{phone}"))
_IDS = {"trans_cod", "code", "order_id", "id", "transaction"}


def _placeholder(key: str) -> str | None:
    lowered = key.lower()
    if lowered in _IDS:
        return "{id}"
    if "product" in lowered or lowered.startswith("pro_"):
        return None
    if "phone" in lowered or "mobile" in lowered:
        return "{phone}"
    return next((value for part, value in _VARYING if part in lowered), None)


def _templated(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {k: _templated(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [_templated(v, key) for v in data]
    if isinstance(data, str):
        return _placeholder(key) or data
    return data


@dataclass(frozen=True)
class BodyTemplate:
    """A platform's body as received (``body_text``) and as the worker stores its parse
    (``parsed_json``), with placeholders where a buyer's values go."""

    text: str
    parsed: str

    @classmethod
    def of(cls, fixture: str) -> BodyTemplate:
        body = json.loads((FIXTURES / f"{fixture}.json").read_text())["body"]
        data = _templated(body)
        # Braces of the JSON itself must survive str.format: the placeholders are unique
        # tokens replaced with str.replace instead.
        return cls(json.dumps(data, separators=(",", ":")), json.dumps(data, ensure_ascii=False))

    @staticmethod
    def fill(template: str, values: dict[str, str]) -> str:
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template


# -- the stored history --------------------------------------------------------------------
@dataclass
class Integration:
    key: str
    platform: str
    fixture: str
    #: Share of all webhooks.
    share: float
    event: str
    id: str = ""
    template: BodyTemplate | None = None


@dataclass
class Account:
    name: str
    integrations: list[Integration]
    id: str = ""
    api_key: str = ""

    @property
    def share(self) -> float:
        return sum(i.share for i in self.integrations)


def tenants() -> list[Account]:
    """Three accounts; the first's first integration holds most of the webhooks."""
    return [
        Account(
            "Loja grande",
            [
                Integration("main", "eduzz", "eduzz__invoice.3", 0.70, "invoice.3"),
                Integration("second", "perfectpay", "perfectpay__approved", 0.12, "approved"),
                Integration("third", "greenn", "greenn__saleUpdated.paid", 0.03, "saleUpdated"),
            ],
        ),
        Account(
            "Loja média",
            [Integration("other", "kiwify", "kiwify__order_approved", 0.10, "order_approved")],
        ),
        Account(
            "Loja pequena",
            [
                Integration(
                    "small", "hotmart", "hotmart__PURCHASE_OUT_OF_SHOPPING_CART", 0.05, "CART"
                )
            ],
        ),
    ]


def phone(number: int, area: int = 11) -> str:
    """A valid Brazilian mobile; the same number in two accounts is the same phone."""
    return f"+55{area}96{number:07d}"


PRODUCTS = ("Curso Avançado", "Mentoria", "Ebook", "Comunidade")
CITIES = (("São Paulo", "SP"), ("Rio de Janeiro", "RJ"), ("Belo Horizonte", "MG"))


@dataclass
class LeadSeen:
    """What the generated webhooks did to one lead (its state is written at the end)."""

    last_at: datetime
    webhooks: int = 0
    integrations: set[str] = field(default_factory=set)


@dataclass
class History:
    """Generates ``webhooks`` webhooks over the accounts, in time order, with what
    follows from each (commands, messages, dead letters), and remembers each lead."""

    accounts: list[Account]
    webhooks: int
    seed: int = 13
    leads: dict[tuple[str, str], LeadSeen] = field(default_factory=dict)
    #: The most active lead (a test buyer: one webhook in 500 of the main integration).
    heavy: str = phone(0)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        for account in self.accounts:
            for integration in account.integrations:
                integration.template = BodyTemplate.of(integration.fixture)

    def pool(self, account: Account) -> int:
        """An account's distinct leads: about four webhooks each."""
        return max(10, int(self.webhooks * account.share / 4))

    def chunks(self, size: int) -> Iterator[dict[str, list[Any]]]:
        """Records by table, ``size`` webhooks at a time."""
        weights = [(a, i) for a in self.accounts for i in a.integrations]
        cumulative, total = [], 0.0
        for _, integration in weights:
            total += integration.share
            cumulative.append(total)
        step = SPAN / self.webhooks
        for start in range(0, self.webhooks, size):
            out: dict[str, list[Any]] = {t: [] for t in BY_NAME}
            for n in range(start, min(start + size, self.webhooks)):
                pick = self.random.random() * total
                index = next(k for k, c in enumerate(cumulative) if pick <= c)
                account, integration = weights[index]
                self._one(n, account, integration, START + step * n, out)
            yield out

    def _one(
        self,
        n: int,
        account: Account,
        integration: Integration,
        at: datetime,
        out: dict[str, list[Any]],
    ) -> None:
        rnd = self.random
        heavy = integration.key == "main" and n % 500 == 0
        lead = 0 if heavy else rnd.randrange(1, self.pool(account))
        lead_phone = phone(lead)
        request_id = f"req-{n:09d}"
        roll = rnd.randrange(100)
        status = (
            "ping"
            if roll < 2
            else "error"
            if roll < 5
            else "duplicate"
            if roll < 8
            else "unmatched"
            if roll < 15
            else "matched"
        )
        name = f"Cliente {lead}"
        values = {
            "email": f"cliente{lead}@example.com",
            "name": name,
            "phone": lead_phone[3:],
            "id": f"TX{n:010d}",
        }
        assert integration.template is not None
        product = PRODUCTS[lead % len(PRODUCTS)]
        mapped = status not in ("ping", "error")
        commands = [f"{request_id}:{k}" for k in range(3)] if status == "matched" else []
        webhook = WebhookHistory(
            request_id=request_id,
            account_id=account.id,
            integration_id=integration.id,
            delivery_id=f"dlv-{n}",
            received_at=at,
            processed_at=at + timedelta(milliseconds=40),
            status=status,
            event=integration.event if mapped else None,
            name=name if mapped else None,
            phone=lead_phone if mapped else None,
            phone_raw=values["phone"] if mapped else None,
            fields={"produto": product, "valor": "1500.0"} if mapped else {},
            errors=["phone: no value at cus_cel"] if status == "error" else [],
            matched_event_ids=["evt_1"] if commands else [],
            command_ids=commands,
            action_types=["add_tag", "update_field", "send_message"] if commands else [],
            content_type="application/json",
            headers={
                "content-type": "application/json",
                "user-agent": f"{integration.platform}-webhooks/2.0",
                "x-request-id": request_id,
                "authorization": "Bearer platform-secret",
            },
            body_format="json",
            body_text=BodyTemplate.fill(integration.template.text, values),
            parsed_json=BodyTemplate.fill(integration.template.parsed, values),
        )
        out["webhooks"].append(webhook)
        if rnd.random() < 0.01:  # delivered twice to the sink: collapses
            out["webhooks"].append(webhook)
        if status == "error":
            envelope = WebhookEnvelope(
                request_id=request_id,
                integration_id=integration.id,
                account_id=account.id,
                received_at=at,
                content_type="application/json",
                headers={},
                body=webhook.body_text.encode(),
            )
            out["deadletters"].append(
                DeadLetter(
                    envelope=envelope,
                    reason="mapping",
                    errors=webhook.errors,
                    source_topic="hookline.webhooks",
                    source_partition=0,
                    source_offset=n,
                    failed_at=at,
                )
            )
            if n % 2:  # replayed after the mapping was fixed: the row is replaced
                out["webhooks"].append(
                    webhook.model_copy(
                        update={
                            "status": "unmatched",
                            "errors": [],
                            "event": integration.event,
                            "phone": lead_phone,
                            "processed_at": at + timedelta(hours=1),
                        }
                    )
                )
        if n % 1000 == 7:
            out["rejected_requests"].append(
                RejectedRequest(
                    request_id=f"rej-{n}",
                    account_id=account.id,
                    integration_id=integration.id,
                    received_at=at,
                    status=401,
                    reason="bad signature",
                    method="POST",
                    body_bytes=len(webhook.body_text),
                    body_excerpt=webhook.body_text[:200],
                )
            )
        if not mapped:
            return
        seen = self.leads.setdefault((account.id, lead_phone), LeadSeen(at))
        seen.last_at, seen.webhooks = at, seen.webhooks + 1
        seen.integrations.add(integration.id)
        for k, (command_id, kind) in enumerate(
            zip(commands, ("add_tag", "update_field", "send_message"), strict=False)
        ):
            applied = at + timedelta(milliseconds=200 + k)
            result = CommandResult(
                command_id=command_id,
                account_id=account.id,
                integration_id=integration.id,
                request_id=request_id,
                phone=lead_phone,
                type=kind,
                status="applied",
                applied_at=applied,
            )
            out["commands"].append(result)
            if rnd.random() < 0.01:  # the command came again: a duplicate note
                out["commands"].append(result.model_copy(update={"status": "duplicate"}))
        if commands:
            failed = rnd.random() < 0.03
            out["messages"].append(
                MessageSent(
                    command_id=commands[2],
                    account_id=account.id,
                    phone=lead_phone,
                    channel="recording",
                    message_type="text",
                    content=f"Olá {name}, seu acesso ao {product} está liberado.",
                    status="failed" if failed else "sent",
                    reason="rate_limited" if failed else "",
                    sent_at=at + timedelta(milliseconds=300),
                )
            )

    def lead_states(self) -> Iterator[LeadState]:
        """Every lead's state; a third also with an older version written first (the
        executor writes a lead at each of its batches)."""
        for (account_id, lead_phone), seen in self.leads.items():
            number = int(lead_phone[-7:])
            city, state = CITIES[number % len(CITIES)]
            tags = ["comprador"] + (["vip"] if number % 10 == 0 else [])
            lead = LeadState(
                account_id=account_id,
                phone=lead_phone,
                name=f"Cliente {number}",
                tags=tags,
                fields={
                    "produto": PRODUCTS[number % len(PRODUCTS)],
                    "valor": "1500.0",
                    "ativo": "true" if number % 3 else "false",
                },
                profile={"email": f"cliente{number}@example.com", "city": city, "state": state},
                updated_at=seen.last_at,
                version=seen.webhooks * 3,
            )
            if number % 3 == 0:
                yield lead.model_copy(
                    update={
                        "version": lead.version - 1,
                        "tags": ["lead"],
                        "updated_at": lead.updated_at - timedelta(seconds=1),
                    }
                )
            yield lead


async def store_records(store: HistoryStore, records: dict[str, list[Any]], batch: int) -> int:
    """Write records through the sink's path (rows_for, HistoryStore.write)."""
    count = 0
    for table, items in records.items():
        rows = [rows_for(item)[1] for item in items]
        for start in range(0, len(rows), batch):
            await store.write(table, rows[start : start + batch])
        count += len(rows)
    return count


# -- 1. the sink ---------------------------------------------------------------------------
#: The sink's paths timed, each beside a bare Native insert of the same rows.
SINK_PATHS = (
    "sink (ClickHouse reads the records)",
    "sink, noting for the pruner (hookline dev)",
    "records decoded in Python (a ClickHouse server)",
)


@dataclass
class SinkFigure:
    table: str
    rows: int
    #: Rows/s of each of SINK_PATHS.
    paths: list[float]
    baseline: float
    #: The process's CPU (every thread) a row, of each of SINK_PATHS and the bare insert.
    cpu: list[float]


async def measure_sink(
    clickhouse: ClickHouse, table: str, records: list[Any], batch: int, rounds: int
) -> SinkFigure:
    """Rows/s of the sink's paths (its own Batch) beside a bare Native insert of the same
    rows, in alternating rounds."""
    db = clickhouse.with_database(f"bench_sink_{table}")
    await db.migrate()
    store = HistoryStore(db)
    columns = BY_NAME[table].column_names
    # As the sink's consumer hands them over (what it decodes: key and value bytes).
    encoded = [
        ConsumerRecord(HISTORY.name, 0, offset, 0, 0, b"k", value, None, 1, len(value), [])
        for offset, value in enumerate(HISTORY.encode(record) for record in records)
    ]
    twin = f"{db.database}.{table}_bare"
    await db._call(db.client.command, f"CREATE TABLE {twin} AS {db.database}.{table}")
    options = (
        {"read_json": True},
        {"read_json": True, "recently": RecentlyStored()},
        {"read_json": False},
    )

    async def sink_round(**kwargs: Any) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(encoded), batch):
            held = Batch(store, **kwargs)
            for record in encoded[start : start + batch]:
                held.add(record)
            await held.store()
        return time.perf_counter() - started, time.process_time() - cpu

    # The same rows, pre-encoded by the engine itself, batch by batch.
    await sink_round(read_json=False)
    blocks = [
        await db._call(
            db.client.raw_query,
            f"SELECT {', '.join(columns)} FROM {db.database}.{table}"
            f" ORDER BY ALL LIMIT {batch} OFFSET {start} FORMAT Native",
        )
        for start in range(0, len(records), batch)
    ]

    async def bare_round() -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        for block in blocks:
            await db._call(db.client.raw_insert, twin, columns, insert_block=block, fmt="Native")
        return time.perf_counter() - started, time.process_time() - cpu

    # The collector as in hookline's servers (what lives on is frozen, young collections
    # are rarer): the rounds time the sink's allocations, not scans of the bench's records.
    settle_gc()
    path_times: list[list[tuple[float, float]]] = [[] for _ in options]
    bare_times = []
    for _ in range(rounds):
        for times, kwargs in zip(path_times, options, strict=True):
            times.append(await sink_round(**kwargs))
        bare_times.append(await bare_round())
    gc.unfreeze()
    await db._call(db.client.command, f"DROP DATABASE {db.database}")
    n = len(records)
    return SinkFigure(
        table,
        n,
        [n / statistics.median(wall for wall, _ in times) for times in path_times],
        n / statistics.median(wall for wall, _ in bare_times),
        [statistics.median(cpu for _, cpu in times) / n for times in [*path_times, bare_times]],
    )


def print_sink(figures: list[SinkFigure], batch: int) -> None:
    print(f"\n## Sink into chdb (batches of {batch} rows; median of rounds)\n")
    print(
        "| table | rows | "
        + " | ".join(f"{path} rows/s" for path in SINK_PATHS)
        + " | bare Native insert rows/s | ratio (first path) | target"
        + " | CPU a row, each in turn (us) |"
    )
    print("|---|---:|" + "---:|" * (len(SINK_PATHS) + 3) + "---|")
    for f in figures:
        paths = " | ".join(f"{rate:,.0f}" for rate in f.paths)
        cpu = " / ".join(f"{seconds * 1e6:.1f}" for seconds in f.cpu)
        print(
            f"| {f.table} | {f.rows:,} | {paths} | {f.baseline:,.0f} |"
            f" {f.paths[0] / f.baseline:.2f}x | {TARGET_ROWS_PER_S:,} | {cpu} |"
        )


def sink_records(history: History, count: int) -> dict[str, list[Any]]:
    """``count`` webhooks and ``count`` commands, as generated for the views."""
    webhooks: list[Any] = []
    commands: list[Any] = []
    for chunk in history.chunks(2000):
        webhooks += chunk["webhooks"]
        commands += chunk["commands"]
        if len(webhooks) >= count and len(commands) >= count:
            break
    return {"webhooks": webhooks[:count], "commands": commands[:count]}


# -- 2. the views --------------------------------------------------------------------------
@dataclass
class View:
    name: str
    path: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    #: The HistoryStore call its handler makes (its ClickHouse part).
    store_call: Callable[[], Awaitable[Any]] | None = None


@dataclass
class ViewFigure:
    view: View
    cold_ms: float
    p50_ms: float
    p99_ms: float
    store_p50_ms: float | None
    items: int


@contextlib.asynccontextmanager
async def api_server(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[str]:
    """The management API over HTTP, as ``hookline serve --api`` runs it."""
    settings = Settings(
        bootstrap_servers=bootstrap,
        embedded_broker=True,
        admin_token=ADMIN_TOKEN,
        public_url="http://bench",
    )
    runner = web.AppRunner(build_http_app(Runtime.create(settings, clickhouse), gateway=False))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base

    async def call(
        self, method: str, path: str, key: str, body: Any = None, **params: Any
    ) -> tuple[int, Any]:
        async with self.session.request(
            method,
            self.base + path,
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {key}"},
        ) as response:
            return response.status, await response.json()

    async def ok(self, method: str, path: str, key: str, body: Any = None) -> Any:
        status, answer = await self.call(method, path, key, body)
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {status} {answer}")
        return answer


async def configure(client: Client, accounts: list[Account]) -> None:
    """Accounts, integrations (with their platform's preset mapping) and custom fields."""
    for account in accounts:
        created = await client.ok(
            "POST", "/api/accounts", ADMIN_TOKEN, {"name": account.name, "plan": "elite"}
        )
        account.id, account.api_key = created["id"], created["api_key"]
        for integration in account.integrations:
            body = {"name": integration.key, "platform": integration.platform}
            integration.id = (await client.ok("POST", "/api/integrations", account.api_key, body))[
                "id"
            ]
        for name, kind in (("produto", "text"), ("valor", "number"), ("ativo", "boolean")):
            await client.ok(
                "POST", "/api/custom-fields", account.api_key, {"name": name, "type": kind}
            )


def views(accounts: list[Account], history: History, store: HistoryStore) -> list[View]:
    big = accounts[0]
    key, main, small = big.api_key, big.integrations[0].id, big.integrations[2].id
    typical = next(
        p for (a, p), seen in history.leads.items() if a == big.id and 3 <= seen.webhooks <= 6
    )
    middle = phone(history.pool(big) // 2)
    recent = (START + SPAN - timedelta(days=2)).isoformat()
    integration = f"/api/integrations/{main}"

    def leads(**filters: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: store.leads(big.id, LeadFilter(limit=51, **filters))

    return [
        View(
            "history (50)",
            f"{integration}/history",
            key,
            store_call=lambda: store.webhooks(big.id, main, 50),
        ),
        View(
            "history (500, console)",
            f"{integration}/history",
            key,
            {"limit": 500},
            lambda: store.webhooks(big.id, main, 500),
        ),
        View(
            "history of a small integration",
            f"/api/integrations/{small}/history",
            key,
            store_call=lambda: store.webhooks(big.id, small, 50),
        ),
        View(
            "structure (100)",
            f"{integration}/structure",
            key,
            store_call=lambda: store.recent_bodies(big.id, main, 100),
        ),
        View(
            "suggested-mapping (100)",
            f"{integration}/suggested-mapping",
            key,
            store_call=lambda: store.recent_bodies(big.id, main, 100),
        ),
        View(
            "dead letters",
            f"{integration}/deadletters",
            key,
            store_call=lambda: store.deadletters(big.id, main, 50),
        ),
        View(
            "rejected",
            f"{integration}/rejected",
            key,
            {"limit": 20},
            lambda: store.rejected(big.id, main, 20),
        ),
        View("leads", "/api/leads", key, store_call=leads()),
        View(
            "leads, a page mid-list",
            "/api/leads",
            key,
            {"cursor": "MID"},
            leads(after=middle),
        ),
        View("leads ?tag=vip", "/api/leads", key, {"tag": "vip"}, leads(tag="vip")),
        View(
            "leads ?field=produto=Mentoria",
            "/api/leads",
            key,
            {"field": "produto=Mentoria"},
            leads(field=("fields", "produto", "Mentoria")),
        ),
        View(
            "leads ?field=email=... (one)",
            "/api/leads",
            key,
            {"field": "email=cliente1234@example.com"},
            leads(field=("profile", "email", "cliente1234@example.com")),
        ),
        View(
            "leads ?integration=main",
            "/api/leads",
            key,
            {"integration": main},
            leads(integration=main),
        ),
        View(
            "leads ?integration=small",
            "/api/leads",
            key,
            {"integration": small},
            leads(integration=small),
        ),
        View(
            "leads ?updated_from=2 days ago",
            "/api/leads",
            key,
            {"updated_from": recent},
            leads(updated_from=datetime.fromisoformat(recent)),
        ),
        View(
            "lead",
            f"/api/leads/{typical}",
            key,
            store_call=lambda: store.lead(big.id, typical),
        ),
        View(
            "lead timeline (typical lead)",
            f"/api/leads/{typical}/timeline",
            key,
            store_call=lambda: store.timeline(big.id, typical, 101),
        ),
        View(
            f"lead timeline (test buyer, {history.leads[(big.id, history.heavy)].webhooks}"
            " webhooks)",
            f"/api/leads/{history.heavy}/timeline",
            key,
            store_call=lambda: store.timeline(big.id, history.heavy, 101),
        ),
    ]


def mid_cursor(after: str) -> str:
    """The cursor of the page after ``after``, as the API encodes it (paging there from
    the first page would take hundreds of calls)."""
    from hookline.api.leads import _fingerprint, encode_cursor
    from schemas.api import LeadQuery

    scope = _fingerprint(LeadQuery().model_dump(exclude={"cursor", "limit"}))
    return encode_cursor({"q": scope, "after": after})


async def measure_view(client: Client, view: View, calls: int) -> ViewFigure:
    async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
        started = time.perf_counter()
        result = await fn()
        return (time.perf_counter() - started) * 1000, result

    async def http() -> Any:
        status, body = await client.call("GET", view.path, view.key, **view.params)
        if status != 200:
            raise RuntimeError(f"{view.name}: {status} {body}")
        return body

    cold, body = await timed(http)
    warm = [(await timed(http))[0] for _ in range(calls)]
    store_ms = None
    if view.store_call is not None:
        store_ms = statistics.median([(await timed(view.store_call))[0] for _ in range(calls)])
    items = body.get("items") or body.get("paths") or body.get("fields") or []
    return ViewFigure(
        view, cold, percentile(warm, 0.5), percentile(warm, 0.99), store_ms, len(items)
    )


def print_views(figures: list[ViewFigure], webhooks: int, calls: int) -> None:
    print(
        f"\n## Views over HTTP with {webhooks:,} stored webhooks"
        f" ({calls} calls each after a cold one; target {TARGET_MS:.0f} ms)\n"
    )
    print("| view | items | cold ms | p50 ms | p99 ms | ClickHouse p50 ms | p99 / target |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for f in figures:
        store = f"{f.store_p50_ms:.1f}" if f.store_p50_ms is not None else "-"
        print(
            f"| {f.view.name} | {f.items} | {f.cold_ms:.1f} | {f.p50_ms:.1f} | {f.p99_ms:.1f} |"
            f" {store} | {f.p99_ms / TARGET_MS:.2f}x |"
        )


async def settle_merges(clickhouse: ClickHouse, seconds: float) -> list[dict[str, Any]]:
    """Wait (at most ``seconds``) for background merges to stop shrinking the part count,
    as they would between a real history's inserts; the parts per table."""
    sql = (
        "SELECT table, count() AS parts, sum(rows) AS rows FROM system.parts"
        " WHERE database = {database:String} AND active GROUP BY table ORDER BY table"
    )
    deadline = time.monotonic() + seconds
    previous = None
    while time.monotonic() < deadline:
        parts = await clickhouse.query(sql, {"database": clickhouse.database})
        total = sum(p["parts"] for p in parts)
        if total == previous:
            return parts
        previous = total
        await asyncio.sleep(3)
    return await clickhouse.query(sql, {"database": clickhouse.database})


# -- main ----------------------------------------------------------------------------------
async def run(args: argparse.Namespace) -> None:
    batch = args.batch or Settings().history_batch_size
    with work_dir("bench-history-", keep=False) as tmp, EmbeddedBroker() as broker:
        progress(f"chdb in {tmp}, broker {broker}")
        clickhouse = ClickHouse.open(f"chdb://{tmp}", "hookline")
        try:
            await clickhouse.migrate()
            await ensure_topics(broker)
            accounts = tenants()
            async with (
                api_server(broker, clickhouse) as base,
                aiohttp.ClientSession() as session,
            ):
                client = Client(session, base)
                await configure(client, accounts)
                history = History(accounts, args.webhooks)

                if args.sink_rows:
                    progress(f"sink: generating {args.sink_rows:,} webhooks and commands")
                    sample = sink_records(History(accounts, args.sink_rows * 2), args.sink_rows)
                    sink_figures = []
                    for table, records in sample.items():
                        progress(f"sink: {len(records):,} {table}, {args.rounds} rounds")
                        sink_figures.append(
                            await measure_sink(clickhouse, table, records, batch, args.rounds)
                        )
                    print_sink(sink_figures, batch)

                if not args.webhooks:
                    return
                store = HistoryStore(clickhouse)
                started, stored = time.perf_counter(), 0
                for chunk in history.chunks(args.load_batch):
                    stored += await store_records(store, chunk, args.load_batch)
                    done = len(history.leads)
                    progress(f"load: {stored:,} rows stored ({done:,} leads so far)")
                states = list(history.lead_states())
                stored += await store_records(store, {"leads": states}, args.load_batch)
                seconds = time.perf_counter() - started
                progress(f"load: {stored:,} rows in {seconds:.0f} s; settling merges")
                parts = await settle_merges(clickhouse, args.settle)
                print(f"\nStored (generated and written in {seconds:.0f} s), active parts:\n")
                for p in parts:
                    print(f"- {p['table']}: {p['rows']:,} rows in {p['parts']} parts")

                figures = []
                for view in views(accounts, history, store):
                    if view.params.get("cursor") == "MID":
                        view.params["cursor"] = mid_cursor(phone(history.pool(accounts[0]) // 2))
                    progress(f"views: {view.name}")
                    figures.append(await measure_view(client, view, args.calls))
                print_views(figures, args.webhooks, args.calls)
        finally:
            clickhouse.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--webhooks", type=int, default=1_000_000, help="webhooks stored (0: the sink only)"
    )
    parser.add_argument(
        "--sink-rows", type=int, default=50_000, help="rows per table for the sink (0: skip)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="sink rounds (alternating)")
    parser.add_argument(
        "--batch", type=int, default=0, help="sink rows per insert (default: history_batch_size)"
    )
    parser.add_argument("--calls", type=int, default=20, help="calls per view after the cold one")
    parser.add_argument(
        "--load-batch", type=int, default=50_000, help="rows per insert while storing the history"
    )
    parser.add_argument(
        "--settle", type=float, default=120, help="seconds at most to let merges settle"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
