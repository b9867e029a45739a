"""``hookline dev`` supervising real processes on the real embedded broker: a worker
killed with SIGKILL is restarted (logged, counted) while /readyz goes 503 and back;
a SIGKILL of ``hookline dev`` itself leaves no broker or worker behind and a new one
starts on the same data; a dead broker makes ``hookline dev`` exit with status 1.

Every process is started through DevServer, whose stop() also kills any child it saw
that is still alive, so a failing test leaves nothing running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from hookline.embedded.devprocess import DevServer, process_alive
from tests.integration.worker.test_e2e import (
    PHONE,
    _account,
    _configure,
    _eventually,
    _messages,
    _post,
    _running,
    _sample,
)

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.timeout(180)]


async def _readyz(session: aiohttp.ClientSession, server: DevServer, status: int):
    """The /readyz body when it answers ``status``, else None."""
    async with session.get(server.base + "/readyz") as response:
        body = await response.json()
        return body if response.status == status else None


def _log_lines(server: DevServer, message: str) -> list[dict]:
    lines = (server.data_dir / "dev.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("message") == message]


async def _gone(pids, timeout: float) -> list[int]:
    """The pids still alive after waiting up to ``timeout`` for all of them to die."""
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if process_alive(pid)]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return alive


async def test_a_killed_worker_is_restarted_and_processes_what_comes_after(
    tmp_path: Path,
) -> None:
    server = DevServer(tmp_path / "dev")
    with _running(server):
        async with aiohttp.ClientSession() as session:
            api = await _account(session, server, "business")
            integration = await _configure(api)
            await _eventually(lambda: _readyz(session, server, 200))
            killed = server.children()["worker"]
            os.kill(killed, signal.SIGKILL)

            down = await _eventually(lambda: _readyz(session, server, 503), 10, 0.05)
            assert set(down["reasons"]) == {"worker"}, down

            async def restarted():
                pid = server.children().get("worker")
                return pid if pid not in (None, killed) else None

            await _eventually(restarted, 15, 0.1)
            up = await _eventually(lambda: _readyz(session, server, 200), 60)
            assert up["reasons"] == {}
            (exited,) = _log_lines(server, "process exited; restarting")
            assert exited["level"] == "ERROR"
            assert (exited["child"], exited["pid"], exited["signal"]) == (
                "worker",
                killed,
                "SIGKILL",
            )
            assert (exited["restart"], exited["next_delay_s"]) == (1, 1.0)
            async with session.get(server.base + "/metrics") as response:
                assert 'hookline_process_restarts_total{process="worker"} 1.0' in (
                    await response.text()
                )

            # A webhook accepted after the restart is processed: tag, field and message.
            body = json.loads(_sample("hotmart__PURCHASE_CANCELED.json"))
            body["id"] = "after-restart"
            await _post(session, integration["url"], json.dumps(body).encode())
            lead_path = f"/api/leads/{quote(PHONE)}"

            async def processed():
                async with session.get(server.base + lead_path, headers=api.headers) as r:
                    lead = await r.json() if r.status == 200 else None
                # The message is the last of the three commands to land.
                return lead if lead and await _messages(api, lead_path) else None

            lead = await _eventually(processed, 60)
            assert lead["tags"] == ["compra-cancelada"]
            assert lead["fields"] == {"produto": "Produto test postback2"}
            assert len(await _messages(api, lead_path)) == 1


async def test_a_killed_hookline_dev_leaves_no_child_and_starts_again(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "dev")
    server.start()
    try:
        children = server.children()
        assert set(children) == {"broker", "worker", "worker-1"}, children
        server.kill()
        assert await _gone(children.values(), timeout=5) == []
    finally:
        server.stop()
    assert server.leftovers() == []

    again = DevServer(server.data_dir, port=server.port)
    with _running(again):
        async with aiohttp.ClientSession() as session:
            await _eventually(lambda: _readyz(session, again, 200), 60)


async def test_a_dead_broker_stops_hookline_dev_with_status_1(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "dev")
    server.start()
    try:
        children = server.children()
        os.kill(children["broker"], signal.SIGKILL)
        assert server.process is not None
        process = server.process
        async with asyncio.timeout(60):
            while process.poll() is None:
                await asyncio.sleep(0.1)
        assert await _gone(children.values(), timeout=5) == []
    finally:
        status = server.stop()
    assert status == 1
    (critical,) = _log_lines(
        server, "embedded broker exited: everything it held in memory is lost; stopping"
    )
    assert critical["level"] == "CRITICAL" and critical["signal"] == "SIGKILL"
