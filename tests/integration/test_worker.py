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
from hookline.kafka import CompactedTopicReader, new_producer
from schemas.commands import ActionCommand
from schemas.history import CommandResult
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


def command(account: str, command_id: str, type_: str, **params: str) -> ActionCommand:
    return ActionCommand(
        command_id=command_id,
        account_id=account,
        integration_id="int_1",
        request_id=f"r-{command_id}",
        event_id="conversion_1",
        action_id=f"action_{command_id}",
        type=type_,
        phone="+5511988887777",
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
