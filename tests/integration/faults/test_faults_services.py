"""The fault suite, production processes: ``hookline gateway`` and ``hookline sink``
run as their own processes on the real broker (and real ClickHouse), and are
killed with SIGKILL mid-load.

- gateway: every webhook answered 200 before the kill is on ``hookline.webhooks``
  (the 200 is sent only after acks=all);
- sink: killed mid-stream and started again, every history record ends up in
  ClickHouse exactly once (offsets committed only after a batch is stored; the
  re-delivered rows collapse)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from core.config.view import ConfigView
from core.config.writer import ConfigWriter
from core.kafka import new_producer
from hookline.embedded.broker import free_port
from hookline.embedded.devprocess import query_clickhouse
from hookline.embedded.supervisor import spawn
from hookline.history.sink import GROUP as SINK_GROUP
from schemas.history import WebhookHistory
from schemas.topics import HISTORY, WEBHOOKS
from schemas.types import Plan, utcnow
from tests.integration.gateway.gateway_env import TopicReader, integration_record, until_serving
from tests.processes import alive, kill9

pytestmark = [pytest.mark.kafka]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return spawn(
            [sys.executable, "-m", "hookline.cli", *command],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _hook(bootstrap: str) -> str:
    """A new account and integration on the config topic; the webhook path."""
    from schemas.config import Account
    from schemas.types import new_id

    account = Account(id=new_id("acc"), name="Loja", plan=Plan.elite, api_key_hash="0" * 64)
    integration, token = integration_record(account, "generic")
    producer = new_producer(bootstrap)
    view = ConfigView(bootstrap)
    await producer.start()
    await view.start()
    try:
        writer = ConfigWriter(producer, view)
        await writer.put(account)
        await writer.put(integration)
    finally:
        await view.stop()
        await producer.stop()
    return f"/hooks/{token}"


async def test_gateway_killed_mid_load_loses_no_accepted_webhook(
    bootstrap: str, tmp_path: Path
) -> None:
    path = await _hook(bootstrap)
    port = free_port()
    gateway = _start(
        ["gateway", "--host", "127.0.0.1", "--port", str(port)],
        {
            "HOOKLINE_BOOTSTRAP_SERVERS": bootstrap,
            "HOOKLINE_EMBEDDED_BROKER": "true",
            "HOOKLINE_RATE_LIMIT_PER_SECOND": "100000",
            "HOOKLINE_RATE_LIMIT_BURST": "100000",
        },
        tmp_path / "gateway.log",
    )
    url = f"http://127.0.0.1:{port}{path}"
    accepted: set[str] = set()
    failures = 0
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            await until_serving(session, url)

            async def client(first: int) -> None:
                nonlocal failures
                for n in range(first, 100_000, 16):
                    body = f'{{"event": "sale", "n": {n}, "pad": "{"x" * 1500}"}}'.encode()
                    try:
                        async with session.post(url, data=body) as r:
                            answer = await r.json(content_type=None)
                            if r.status == 200:
                                accepted.add(answer["id"])
                    except (aiohttp.ClientError, TimeoutError):
                        failures += 1
                        return

            clients = [asyncio.create_task(client(i)) for i in range(16)]
            while len(accepted) < 600:
                await asyncio.sleep(0.01)
            kill9(gateway.pid)
            await asyncio.gather(*clients)
    finally:
        _stop(gateway)
    assert failures > 0, "the kill happened while requests were in flight"

    reader = TopicReader(bootstrap, WEBHOOKS)
    await reader.start()
    try:
        written: set[str] = set()

        def all_there() -> bool:
            written.update(e.request_id for values in reader.by_key.values() for e in values)
            return accepted <= written

        with contextlib.suppress(TimeoutError):
            await reader.wait(all_there, timeout=30)
    finally:
        await reader.stop()
    missing = accepted - written
    print(f"\ngateway SIGKILL: {len(accepted)} answered 200, {len(missing)} not on the topic")
    assert not missing, f"{len(missing)} webhooks answered 200 are not in Kafka"


async def _committed_all(bootstrap: str, group: str, topic: str, ends: dict[int, int]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        tps = [TopicPartition(topic, p) for p in ends]
        offsets = await admin.list_consumer_group_offsets(group, partitions=tps)
    finally:
        await admin.close()
    return all(
        offsets.get(tp) is not None and offsets[tp].offset >= ends[tp.partition] for tp in tps
    )


async def _wait_stored_some(bootstrap: str, log: Path) -> None:
    """Until the sink has committed a batch (stored it in ClickHouse)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        tps = [TopicPartition(HISTORY.name, p) for p in range(HISTORY.partitions)]
        async with asyncio.timeout(60):
            while True:
                offsets = await admin.list_consumer_group_offsets(SINK_GROUP, partitions=tps)
                if any(o.offset > 0 for o in offsets.values()):
                    return
                await asyncio.sleep(0.2)
    except TimeoutError:
        tail = log.read_text()[-3000:]  # noqa: ASYNC240 - a failure report
        raise AssertionError(f"the sink stored nothing\n{tail}") from None
    finally:
        await admin.close()


async def test_sink_killed_mid_stream_stores_every_record_once(
    bootstrap: str, tmp_path: Path
) -> None:
    account = f"acc_{secrets.token_hex(6)}"
    records = 4000
    clickhouse = tmp_path / "clickhouse"
    env = {
        "HOOKLINE_BOOTSTRAP_SERVERS": bootstrap,
        "HOOKLINE_EMBEDDED_BROKER": "true",
        "HOOKLINE_CLICKHOUSE_DSN": f"chdb://{clickhouse}",
        "HOOKLINE_HISTORY_BATCH_SIZE": "200",
        "HOOKLINE_HISTORY_FLUSH_SECONDS": "0.2",
        "HOOKLINE_METRICS_PORT": str(metrics_port := free_port()),
    }
    log = tmp_path / "sink.log"
    producer = new_producer(bootstrap)
    await producer.start()
    ends: dict[int, int] = {}
    sink = _start(["sink"], env, log)
    try:
        for n in range(records):
            row = WebhookHistory(
                request_id=f"sink-{account}-{n}",
                account_id=account,
                integration_id="int_1",
                received_at=utcnow(),
                status="unmatched",
            )
            meta = await producer.send(
                HISTORY.name, key=row.request_id.encode(), value=HISTORY.encode(row)
            )
            if n == records // 3:
                await meta
                await _wait_stored_some(bootstrap, log)
                kill9(sink.pid)
                sink.wait()
                sink = _start(["sink"], env, log)
            result = await meta
            ends[result.partition] = max(ends.get(result.partition, 0), result.offset + 1)
        deadline = time.monotonic() + 120
        while not await _committed_all(bootstrap, SINK_GROUP, HISTORY.name, ends):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            assert alive(sink.pid), log.read_text()[-3000:]
            await asyncio.sleep(0.5)
        # The restarted sink's /metrics (HOOKLINE_METRICS_PORT): what it wrote, from zero.
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                text = await response.text()
        written = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith('hookline_history_rows_total{table="webhooks"}')
        ]
        assert written and records // 2 <= written[0] <= records, text
    finally:
        await producer.stop()
        _stop(sink)
    rows = query_clickhouse(
        tmp_path,
        "SELECT count() AS n, uniqExact(request_id) AS distinct_ids FROM hookline.webhooks FINAL"
        f" WHERE account_id = '{account}'",
    )
    print(f"\nsink SIGKILL: {records} records produced, stored: {rows[0]}")
    assert rows == [{"n": records, "distinct_ids": records}]
