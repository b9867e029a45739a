"""The fault suite: real processes killed with SIGKILL under load, on the real
embedded broker and ClickHouse, with a real HTTP server standing in for the
message provider (it counts every call it gets, not a deduplicated view).

The promise under test: every webhook answered 200 is acted on completely (tag,
field and message: none partial), and no message is sent twice, whatever process
dies and whenever."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from hookline.embedded.devprocess import DevServer, journaled_webhook_count
from tests.processes import children, kill9, wait_all_dead
from tests.provider import ProviderStandIn
from tests.samples import load_samples

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

TAG = "cancelou"
#: Deliveries finished before a kill that the platform sends again after the restart.
DUPLICATES = 100
PRODUCT = "Produto test postback2"


def _body(n: int, leads: int | None = None) -> tuple[str, bytes]:
    """The n-th distinct Hotmart PURCHASE_CANCELED delivery, one lead each (or to
    ``leads`` leads in turn)."""
    (sample,) = [s for s in load_samples() if s.name == "hotmart__PURCHASE_CANCELED.json"]
    body = json.loads(sample.raw)
    body["id"] = f"fault-{n}"
    phone = f"119{(n % leads if leads else n):08d}"
    body["data"]["buyer"]["checkout_phone"] = phone
    return f"+55{phone}", json.dumps(body).encode()


@dataclass
class Load:
    """What the platform saw: which deliveries were answered 200 (and which not)."""

    accepted: dict[str, str] = field(default_factory=dict)  # phone -> request id
    deliveries: Counter[str] = field(default_factory=Counter)  # phone -> accepted
    refused: Counter[str] = field(default_factory=Counter)
    sent: int = 0


class Account:
    def __init__(self, session: aiohttp.ClientSession, server: DevServer) -> None:
        self.session = session
        self.server = server
        self.headers: dict[str, str] = {}

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        async with self.session.request(
            method, self.server.base + path, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            assert response.status < 300, f"{method} {path}: {response.status} {text}"
            return json.loads(text) if text else {}

    async def create(self, provider_url: str) -> str:
        """Account, channel, Hotmart integration, event with three actions; its URL."""
        self.headers = {"Authorization": f"Bearer {self.server.admin_token}"}
        created = await self.call("POST", "/api/accounts", {"name": "Faults", "plan": "elite"})
        self.headers = {"Authorization": f"Bearer {created['api_key']}"}
        # Pacing well above the load: what is measured is crash safety, not the limit.
        # (The default 1 s between two messages to one phone held a lead's 30 sends
        # in the repeat-lead test to 30 s at least, its batches behind them: 164 s.)
        channel = {
            "type": "generic_http",
            "url": provider_url,
            "messages_per_second": 5000,
            "recipient_gap_seconds": 0,
        }
        await self.call("PUT", "/api/account/channel", channel)
        integration = await self.call(
            "POST", "/api/integrations", {"name": "Hotmart", "platform": "hotmart"}
        )
        iid = self.integration_id = integration["id"]
        await self.call(
            "PATCH",
            f"/api/integrations/{iid}",
            {"rate_limit": {"per_second": 100_000, "burst": 100_000}},
        )
        await self.call(
            "PUT",
            f"/api/integrations/{iid}/mapping",
            {
                "event": "event",
                "name": "data.buyer.name",
                "phone": "data.buyer.checkout_phone",
                "fields": {"product": "data.product.name"},
            },
        )
        await self.call("POST", "/api/custom-fields", {"name": "produto", "description": ""})
        event = await self.call(
            "POST",
            f"/api/integrations/{iid}/events",
            {"name": "cancel", "identification": "PURCHASE_CANCELED"},
        )
        actions = f"/api/integrations/{iid}/events/{event['id']}/actions"
        await self.call("POST", actions, {"type": "add_tag", "tag": TAG})
        await self.call(
            "POST",
            actions,
            {"type": "update_field", "field": "produto", "value": "{{fields.product}}"},
        )
        await self.call("POST", actions, {"type": "send_message", "text": "Oi {{name}}"})
        return integration["url"]

    async def lead(self, phone: str) -> dict | None:
        async with self.session.get(
            f"{self.server.base}/api/leads/{quote(phone)}", headers=self.headers
        ) as response:
            return await response.json() if response.status == 200 else None

    async def webhook_statuses(self) -> dict[str, str]:
        """The status of each of the integration's latest 500 webhooks, by request id."""
        history = await self.call(
            "GET", f"/api/integrations/{self.integration_id}/history?limit=500"
        )
        return {item["request_id"]: item["status"] for item in history["items"]}

    async def messages(self, phone: str) -> list[dict]:
        async with self.session.get(
            f"{self.server.base}/api/leads/{quote(phone)}/messages", headers=self.headers
        ) as response:
            return (await response.json())["messages"] if response.status == 200 else []


async def drive(
    url: str,
    numbers: range,
    load: Load,
    concurrency: int,
    stop: asyncio.Event | None = None,
    leads: int | None = None,
) -> None:
    """POST each delivery once (``_body``); a refused or broken request is the platform's
    to retry (it is not counted as accepted)."""
    queue = list(numbers)
    timeout = aiohttp.ClientTimeout(total=15)

    async def client(session: aiohttp.ClientSession) -> None:
        while queue and not (stop and stop.is_set()):
            phone, body = _body(queue.pop(0), leads)
            load.sent += 1
            try:
                async with session.post(
                    url, data=body, headers={"Content-Type": "application/json"}
                ) as r:
                    answer = await r.json(content_type=None)
                    if r.status == 200:
                        load.accepted[phone] = answer["id"]
                        load.deliveries[phone] += 1
                    else:
                        load.refused[str(r.status)] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                load.refused[type(exc).__name__] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))


@dataclass
class Verdict:
    complete: int = 0
    partial: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown_sends: int = 0

    def __str__(self) -> str:
        return (
            f"complete {self.complete}, partial {len(self.partial)}, missing "
            f"{len(self.missing)}, sends settled as unknown {self.unknown_sends}"
        )


async def verdict(account: Account, phones: list[str]) -> Verdict:
    result = Verdict()
    for phone in phones:
        lead, messages = await account.lead(phone), await account.messages(phone)
        if lead is None and not messages:
            result.missing.append(phone)
            continue
        done = (
            lead is not None
            and lead["tags"] == [TAG]
            and lead["fields"] == {"produto": PRODUCT}
            and len(messages) == 1
            and messages[0]["status"] in ("sent", "unknown")
        )
        if done:
            result.complete += 1
            result.unknown_sends += messages[0]["status"] == "unknown"
        else:
            result.partial.append(phone)
    return result


async def repeat_leads_verdict(account: Account, load: Load) -> Verdict:
    """Each lead written by many deliveries: tagged, its field set, and one message for
    each delivery accepted for it (sent, or unknown if a kill interrupted its send)."""
    result = Verdict()
    for phone, accepted in load.deliveries.items():
        lead, messages = await account.lead(phone), await account.messages(phone)
        statuses = Counter(message["status"] for message in messages)
        done = (
            lead is not None
            and lead["tags"] == [TAG]
            and lead["fields"] == {"produto": PRODUCT}
            and len(messages) == accepted
            and set(statuses) <= {"sent", "unknown"}
        )
        if done:
            result.complete += 1
            result.unknown_sends += statuses["unknown"]
        elif lead is None and not messages:
            result.missing.append(phone)
        else:
            result.partial.append(phone)
    return result


async def wait_complete(
    account: Account,
    phones: list[str],
    timeout: float,
    judge: Callable[[], Awaitable[Verdict]] | None = None,
) -> Verdict:
    """The verdict once every lead of ``phones`` is complete, or at ``timeout``;
    ``judge`` gives it (default: :func:`verdict` of one delivery per lead)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await (judge() if judge else verdict(account, phones))
        if result.complete == len(phones) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(2)


def worker_pid(server: DevServer, name: str = "worker", timeout: float = 60.0) -> int:
    """The pid of hookline dev's worker ``name`` (``worker``, ``worker-1``, ...)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = server.children().get(name)
        if pid is not None:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"no {name} under hookline dev\n{server.log_tail()}")


async def wait_new_worker(server: DevServer, name: str, old: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = server.children().get(name)
        if pid is not None and pid != old:
            return pid
        await asyncio.sleep(0.2)
    raise AssertionError(f"the killed {name} was not replaced\n{server.log_tail()}")


def channel_calls(provider: ProviderStandIn) -> str:
    per_command = provider.per_command()
    return (
        f"channel calls {len(provider.calls)} for {len(per_command)} commands,"
        f" at most {max(per_command.values(), default=0)} per command"
    )


def assert_acted_on_once(provider: ProviderStandIn, load: Load, result: Verdict) -> None:
    """Every accepted webhook acted on completely, and no message sent twice."""
    assert not result.partial and not result.missing, (
        f"{result}: partial {result.partial[:5]}, missing {result.missing[:5]}"
    )
    calls = Counter(call.body["phone"] for call in provider.calls)
    twice = {phone: n for phone, n in calls.items() if n > 1}
    assert not twice, f"messages sent more than once: {twice}"
    keys = provider.per_command()
    assert max(keys.values(), default=0) <= 1, "a command id reached the channel twice"
    never_called = [p for p in load.accepted if p not in calls]
    # A send is settled as unknown only when the worker died between recording the
    # intent and the channel's answer (as many a kill as sends were in flight, up to
    # actions.agent.LEADS_AT_ONCE), and is never sent again.
    assert len(never_called) <= result.unknown_sends, never_called[:10]


def assert_repeat_leads_acted_on_once(
    provider: ProviderStandIn, load: Load, result: Verdict
) -> None:
    """Every accepted webhook of every lead acted on completely, no command's message
    sent twice, and a message missing from the channel only for a send settled as
    unknown."""
    assert not result.partial and not result.missing, (
        f"{result}: partial {result.partial[:5]}, missing {result.missing[:5]}"
    )
    assert max(provider.per_command().values(), default=0) <= 1, (
        "a command id reached the channel twice"
    )
    calls = Counter(call.body["phone"] for call in provider.calls)
    short = {p: n - calls[p] for p, n in load.deliveries.items() if calls[p] < n}
    assert sum(short.values()) <= result.unknown_sends, short


@contextlib.asynccontextmanager
async def dev_server(data_dir: Path, port: int | None = None):
    server = DevServer(data_dir, port=port)
    server.start()
    try:
        yield server
    except BaseException as exc:
        exc.add_note(server.log_tail(80))
        raise
    finally:
        server.stop()


StopWorker = Callable[[str, int], Awaitable[None]]


async def each_worker_stopped_under_load(
    tmp_path: Path, how: str, stop: StopWorker, leads: int | None = None
) -> None:
    """``stop`` each of hookline dev's two workers (HOOKLINE_DEV_WORKERS) once during
    1,200 webhooks (one lead each, or to ``leads`` leads in turn), wait for its
    replacement, then check every webhook was acted on once."""
    webhooks = 1200
    async with ProviderStandIn() as provider, dev_server(tmp_path / "dev") as server:
        async with aiohttp.ClientSession() as session:
            account = Account(session, server)
            url = await account.create(provider.url)
            load = Load()
            driving = asyncio.create_task(
                drive(url, range(webhooks), load, concurrency=16, leads=leads)
            )
            for share, name in ((0.3, "worker"), (0.65, "worker-1")):
                while load.sent < share * webhooks and not driving.done():
                    await asyncio.sleep(0.05)
                pid = worker_pid(server, name)
                await stop(name, pid)
                await wait_new_worker(server, name, pid)
            await driving
            assert load.deliveries.total() == webhooks, f"refused: {load.refused}"
            judge = (lambda: repeat_leads_verdict(account, load)) if leads else None
            result = await wait_complete(account, list(load.accepted), 240, judge)
            print(
                f"\nworker {how} x2 during {webhooks} webhooks"
                f"{f' to {leads} leads' if leads else ''}: {result}; {channel_calls(provider)}",
                flush=True,
            )
            if leads:
                assert_repeat_leads_acted_on_once(provider, load, result)
            else:
                assert_acted_on_once(provider, load, result)


async def test_worker_killed_twice_under_load(tmp_path: Path) -> None:
    async def sigkill(name: str, pid: int) -> None:
        kill9(pid)

    await each_worker_stopped_under_load(tmp_path, "SIGKILL", sigkill)


async def test_worker_killed_twice_under_load_with_repeat_leads(tmp_path: Path) -> None:
    """The same with 40 leads in turn, 30 webhooks each: a lead remembers up to 90
    outcomes (about 8 KB), so the workers keep it decoded between batches
    (``core/worker/decoded.py``) while each kill and replacement moves partitions from
    one worker to the other and back."""

    async def sigkill(name: str, pid: int) -> None:
        kill9(pid)

    await each_worker_stopped_under_load(tmp_path, "SIGKILL", sigkill, leads=40)


async def test_worker_stopped_under_load_exits_and_loses_nothing(tmp_path: Path) -> None:
    """SIGTERM, as an operator's ``kill`` or a container stop, to each worker under
    load: it finishes the batches in hand (faust waits for every event in flight to be
    acknowledged before it stops the agents), exits, is replaced, and every webhook is
    acted on once."""

    async def sigterm(name: str, pid: int) -> None:
        os.kill(pid, signal.SIGTERM)
        # In a thread: the provider stand-in answering the worker's sends runs on this
        # event loop, which a blocking wait would hold (a graceful stop finishes the
        # batch in hand).
        left = await asyncio.to_thread(wait_all_dead, [pid], 30)
        assert not left, f"{name} still running 30 s after SIGTERM"

    await each_worker_stopped_under_load(tmp_path, "SIGTERM", sigterm)


async def test_dev_killed_mid_load_then_restarted(tmp_path: Path) -> None:
    """Also: deliveries finished (and forgotten by the journal) before the kill are sent
    again after the restart. The new process's gateway remembers none of them and the
    restore publishes neither them nor their dedup marks: the workers must find the marks
    in their journals."""
    data_dir = tmp_path / "dev"
    webhooks, finished_first = 1000, DUPLICATES
    async with ProviderStandIn() as provider:
        load = Load()
        async with dev_server(data_dir) as server, aiohttp.ClientSession() as session:
            account = Account(session, server)
            url = await account.create(provider.url)
            await drive(url, range(finished_first), load, concurrency=16)
            first = await wait_complete(account, list(load.accepted), timeout=120)
            assert first.complete == finished_first, first
            deadline = time.monotonic() + 60
            while journaled_webhook_count(data_dir):  # the pruner forgets them within seconds
                assert time.monotonic() < deadline, "the journal kept finished webhooks"
                await asyncio.sleep(0.5)
            stop = asyncio.Event()
            driving = asyncio.create_task(
                drive(url, range(finished_first, webhooks), load, concurrency=16, stop=stop)
            )
            while load.sent < 0.5 * webhooks:
                await asyncio.sleep(0.05)
            assert server.process is not None
            started = list(children(server.process.pid))
            assert len(started) >= 2, f"expected broker and worker: {started}"
            kill9(server.process.pid)
            left = wait_all_dead(started, timeout=5)
            assert not left, f"orphans after SIGKILL of hookline dev: {left}"
            stop.set()
            await driving
        accepted_before = len(load.accepted)
        assert accepted_before > 0

        # Same port: the integration's URL (what the platform has) stays valid.
        async with dev_server(data_dir, server.port) as server, aiohttp.ClientSession() as session:
            account.server, account.session = server, session
            # The platform goes on sending (retries of what was refused included).
            rest = range(webhooks)
            retry = [n for n in rest if _body(n)[0] not in load.accepted]
            await drive(url, retry, load, concurrency=16)
            assert len(load.accepted) == webhooks, f"refused: {load.refused}"
            result = await wait_complete(account, list(load.accepted), timeout=240)
            # Sent again: each must be a duplicate, acted on never.
            sent_again = Load()
            await drive(url, range(finished_first), sent_again, concurrency=16)
            assert len(sent_again.accepted) == finished_first, f"refused: {sent_again.refused}"
            deadline = time.monotonic() + 120
            while True:
                statuses = await account.webhook_statuses()
                again = Counter(statuses.get(r, "not yet") for r in sent_again.accepted.values())
                if not again["not yet"]:
                    break
                assert time.monotonic() < deadline, again
                await asyncio.sleep(1)
            print(
                f"\nhookline dev SIGKILL mid-load: {accepted_before} accepted before the kill,"
                f" {webhooks} in all: {result}; {finished_first} finished before it and sent"
                f" again after: {dict(again)}; {channel_calls(provider)}",
                flush=True,
            )
            assert again == {"duplicate": finished_first}
            # No clean stop, so no word that ClickHouse had every lead: the restore asked
            # ClickHouse, and left out those it had (the first ones finished, at least).
            # The rest were published, and every lead is complete in ClickHouse above.
            restores = [
                (line["state"], line["leads_in_clickhouse"], line["all_state_stored_before"])
                for line in map(json.loads, (data_dir / "dev.log").read_text().splitlines())
                if line["message"] == "restored the embedded broker from the journal"
            ]
            published, left_out, all_stored = restores[-1]
            print(f"leads the restart published: {published}, left out: {left_out}", flush=True)
            assert not all_stored and left_out >= finished_first, restores
            assert_acted_on_once(provider, load, result)


async def test_dev_stopping_takes_webhooks_until_its_workers_stopped(tmp_path: Path) -> None:
    """SIGTERM to ``hookline dev`` under load (as a broker recycle stops it): the gateway
    answers until the workers have stopped, not only the requests in flight, so a
    restart or recycle refuses platforms for less time. Whatever it answered 200 then,
    no worker read: the journal has it, and the next start acts on it once."""
    data_dir = tmp_path / "dev"
    webhooks, concurrency = 3000, 8
    async with ProviderStandIn() as provider:
        load = Load()
        async with dev_server(data_dir) as server, aiohttp.ClientSession() as session:
            account = Account(session, server)
            url = await account.create(provider.url)
            stop = asyncio.Event()
            driving = asyncio.create_task(
                drive(url, range(webhooks), load, concurrency=concurrency, stop=stop)
            )
            while load.sent < 300:
                await asyncio.sleep(0.05)
            assert server.process is not None
            before = set(load.accepted)
            server.process.send_signal(signal.SIGTERM)
            # In a thread: this loop runs the provider stand-in the workers call.
            await asyncio.to_thread(server.process.wait, 60)
            stop.set()
            await driving
        after_sigterm = len(set(load.accepted) - before)
        # More than the requests in flight at the signal (as many as the concurrency):
        # before this, the server stopped first and answered only those.
        assert after_sigterm > 2 * concurrency, (after_sigterm, dict(load.refused))

        async with dev_server(data_dir, server.port) as server, aiohttp.ClientSession() as session:
            account.server, account.session = server, session
            result = await wait_complete(account, list(load.accepted), timeout=240)
            print(
                f"\nhookline dev SIGTERM under load: {after_sigterm} webhooks answered 200"
                f" after the signal, {len(load.accepted)} in all: {result};"
                f" {channel_calls(provider)}",
                flush=True,
            )
            assert_acted_on_once(provider, load, result)
