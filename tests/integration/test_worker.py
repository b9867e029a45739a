"""The faust worker as a real process on the real broker: commands are applied
at most once, and lead state survives a worker restart (the lead table is
recovered from its changelog, ``hookline.leads``)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from hookline.embedded.dev import stop_process
from hookline.embedded.restore import restore, restore_producer
from hookline.history.store import HistoryStore, rows_for
from hookline.kafka import CompactedTopicReader, new_producer
from schemas.commands import ActionCommand
from schemas.history import CommandResult
from schemas.leads import LeadState
from schemas.topics import COMMANDS, HISTORY, LEADS

pytestmark = [pytest.mark.kafka]


def start_worker(bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOOKLINE_BOOTSTRAP_SERVERS": bootstrap,
        "HOOKLINE_EMBEDDED_BROKER": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _readies(log: Path) -> int:
    return log.read_text(errors="replace").count("[^Worker]: Ready")


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def wait_ready(worker: subprocess.Popen[bytes], log: Path, starts: int) -> None:
    """Until the worker has logged its ``starts``-th "Ready" (faust's, after recovery).
    The group's state says nothing here: tansu keeps a stopped member listed as
    Stable until its session times out."""
    async with asyncio.timeout(90):
        while _readies(log) < starts:
            assert worker.poll() is None, _tail(log)
            await asyncio.sleep(0.2)


def command(
    account: str, command_id: str, type_: str, phone: str = "+5511988887777", **params: str
) -> ActionCommand:
    return ActionCommand(
        command_id=command_id,
        account_id=account,
        integration_id="int_1",
        request_id=f"r-{command_id}",
        event_id="conversion_1",
        action_id=f"action_{command_id}",
        type=type_,
        phone=phone,
        lead_name="Ana",
        params=params,
    )


async def test_commands_apply_once_and_state_survives_restart(
    bootstrap: str, tmp_path: Path
) -> None:
    account = f"acc_{secrets.token_hex(6)}"
    key = f"{account}:+5511988887777".encode()
    leads: dict[bytes, bytes] = {}
    results: list[CommandResult] = []

    def on_lead(k: bytes | None, v: bytes | None) -> None:
        if k == key and v is not None:
            leads[k] = v

    def on_history(k: bytes | None, v: bytes | None) -> None:
        record = HISTORY.decode(v) if v else None
        if isinstance(record, CommandResult) and record.account_id == account:
            results.append(record)

    lead_reader = CompactedTopicReader(bootstrap, LEADS.name, on_lead)
    history_reader = CompactedTopicReader(bootstrap, HISTORY.name, on_history)
    producer = new_producer(bootstrap)
    await producer.start()
    await lead_reader.start()
    await history_reader.start()

    async def send(*commands: ActionCommand) -> None:
        for c in commands:
            await producer.send_and_wait(
                COMMANDS.name, key=c.lead_key.encode(), value=COMMANDS.encode(c)
            )

    async def lead_version(version: int):
        async with asyncio.timeout(30):
            while not (key in leads and LEADS.decode(leads[key]).version >= version):
                await asyncio.sleep(0.1)
        return LEADS.decode(leads[key])

    log = tmp_path / "worker.log"
    worker = start_worker(bootstrap, log)
    try:
        await wait_ready(worker, log, starts=1)
        await send(
            command(account, "c1", "add_tag", tag="lead-quente"),
            command(account, "c2", "update_field", field="plano", value="ouro"),
            command(account, "c1", "add_tag", tag="lead-quente"),
        )  # redelivered
        lead = await lead_version(2)
        assert lead.tags == ["lead-quente"] and lead.fields == {"plano": "ouro"}
        assert lead.name == "Ana"

        await asyncio.to_thread(stop_process, worker)
        worker = start_worker(bootstrap, log)
        await wait_ready(worker, log, starts=2)
        # After the restart: an old command redelivered again, and a new one.
        await send(
            command(account, "c2", "update_field", field="plano", value="ouro"),
            command(account, "c3", "remove_tag", tag="lead-quente"),
        )
        lead = await lead_version(3)
        assert lead.tags == [] and lead.fields == {"plano": "ouro"}
        assert lead.applied == ["c1", "c2", "c3"]
        async with asyncio.timeout(15):
            while len(results) < 5:
                await asyncio.sleep(0.1)
        statuses = [(r.command_id, r.status) for r in results]
        assert statuses.count(("c1", "applied")) == 1 and ("c1", "duplicate") in statuses
        assert statuses.count(("c2", "applied")) == 1 and ("c2", "duplicate") in statuses
    finally:
        await asyncio.to_thread(stop_process, worker)
        await producer.stop()
        await lead_reader.stop()
        await history_reader.stop()


async def test_commands_in_quick_succession_all_reach_the_lead(
    bootstrap: str, tmp_path: Path
) -> None:
    """Commands for one lead arriving milliseconds apart: each sees the state the
    previous one wrote (no lost update), whatever the timing of the changelog."""
    account = f"acc_{secrets.token_hex(6)}"
    key = f"{account}:+5511988887777".encode()
    latest: dict[bytes, bytes] = {}
    applied: list[str] = []

    def on_lead(k: bytes | None, v: bytes | None) -> None:
        if k == key and v is not None:
            latest[k] = v

    def on_history(k: bytes | None, v: bytes | None) -> None:
        record = HISTORY.decode(v) if v else None
        if isinstance(record, CommandResult) and record.account_id == account:
            applied.append(record.status)

    lead_reader = CompactedTopicReader(bootstrap, LEADS.name, on_lead)
    history_reader = CompactedTopicReader(bootstrap, HISTORY.name, on_history)
    producer = new_producer(bootstrap)
    for service in (producer, lead_reader, history_reader):
        await service.start()
    log = tmp_path / "worker.log"
    worker = start_worker(bootstrap, log)
    count = 40
    try:
        await wait_ready(worker, log, starts=1)
        for i in range(count):
            c = command(account, f"{i:x}", "add_tag", tag=f"t{i}")
            await producer.send_and_wait(
                COMMANDS.name, key=c.lead_key.encode(), value=COMMANDS.encode(c)
            )
            await asyncio.sleep(0.02 * (i % 5))  # bursts and gaps around the fetch wait
        async with asyncio.timeout(60):
            while len(applied) < count:
                await asyncio.sleep(0.1)
        assert applied == ["applied"] * count
        async with asyncio.timeout(30):
            while key not in latest or LEADS.decode(latest[key]).version < count:
                await asyncio.sleep(0.1)
        lead = LEADS.decode(latest[key])
        assert sorted(lead.tags) == sorted(f"t{i}" for i in range(count))
        assert lead.version == count
    finally:
        await asyncio.to_thread(stop_process, worker)
        for service in (producer, lead_reader, history_reader):
            await service.stop()


@pytest.mark.clickhouse
async def test_every_lead_restored_from_clickhouse_is_recovered_by_the_worker(
    bootstrap: str, clickhouse, tmp_path: Path
) -> None:
    """``hookline dev`` refills an empty broker's lead changelog from ClickHouse in
    one go; the worker's table recovery must see every lead, not stop at the start
    of a partition's last batch (tansu's ListOffsets)."""
    account = f"acc_{secrets.token_hex(6)}"
    phones = [f"+55119{n:08d}" for n in range(24)]
    store = HistoryStore(clickhouse)
    await store.write(
        "leads",
        [
            rows_for(LeadState(account_id=account, phone=p, tags=["restaurado"], version=1))[1]
            for p in phones
        ],
    )
    producer = restore_producer(bootstrap)
    await producer.start()
    try:
        assert (await restore(store, producer))["leads"] == len(phones)
    finally:
        await producer.stop()

    leads: dict[str, LeadState] = {}

    def on_lead(k: bytes | None, v: bytes | None) -> None:
        if k and v and k.startswith(account.encode()):
            lead = LEADS.decode(v)
            leads[lead.phone] = lead

    lead_reader = CompactedTopicReader(bootstrap, LEADS.name, on_lead)
    commands = new_producer(bootstrap)
    await lead_reader.start()
    await commands.start()
    log = tmp_path / "worker.log"
    worker = start_worker(bootstrap, log)
    try:
        await wait_ready(worker, log, starts=1)
        for n, phone in enumerate(phones):
            c = command(account, f"{n:x}", "add_tag", phone=phone, tag="depois")
            await commands.send_and_wait(
                COMMANDS.name, key=c.lead_key.encode(), value=COMMANDS.encode(c)
            )
        async with asyncio.timeout(60):
            while sum("depois" in lead.tags for lead in leads.values()) < len(phones):
                await asyncio.sleep(0.1)
        assert {p: leads[p].tags for p in phones} == {p: ["restaurado", "depois"] for p in phones}
    finally:
        await asyncio.to_thread(stop_process, worker)
        await commands.stop()
        await lead_reader.stop()
