"""``hookline dev``: the whole pipeline on one machine.

Starts the embedded broker (subprocess), creates topics, opens ClickHouse in
this process (chdb: one process per data directory, so this process does both
the history writes and the history reads), restores config and lead state
from it, starts the faust worker (subprocess) and serves gateway + API on one
port. Ctrl-C or SIGTERM stops everything, in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient

from hookline.embedded.broker import EmbeddedBroker
from hookline.embedded.restore import restore, restore_producer
from hookline.history.clickhouse import ClickHouse
from hookline.history.sink import HistorySink
from hookline.history.store import HistoryStore
from hookline.kafka import ensure_topics
from hookline.runtime import Runtime
from hookline.server import build_http_app, server_options
from hookline.settings import Settings

log = logging.getLogger(__name__)
WORKER_GROUP = "hookline-worker"


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOOKLINE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "HOOKLINE_EMBEDDED_BROKER": "true",
        "HOOKLINE_LOG_LEVEL": settings.log_level,
    }
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hookline.cli", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_for_worker(
    bootstrap: str, process: subprocess.Popen[bytes], timeout: float = 90.0
) -> bool:
    """True once the worker's consumer group is stable with members."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(timeout):
            while process.poll() is None:
                with contextlib.suppress(Exception):
                    (group,) = await admin.describe_consumer_groups([WORKER_GROUP])
                    for g in group.groups:
                        if g[0] == 0 and g[2] == "Stable" and g[5]:
                            return True
                await asyncio.sleep(0.5)
    except TimeoutError:
        return False
    finally:
        await admin.close()
    return False


async def run_dev(settings: Settings, data_dir: Path, host: str, port: int) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start-up
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    broker = EmbeddedBroker(log_path=data_dir / "broker.log")
    broker.start()
    settings = settings.model_copy(
        update={"bootstrap_servers": broker.bootstrap, "embedded_broker": True}
    )
    worker: subprocess.Popen[bytes] | None = None
    runner: web.AppRunner | None = None
    sink: HistorySink | None = None
    clickhouse = ClickHouse.open(f"chdb://{data_dir / 'clickhouse'}", "hookline")
    try:
        await ensure_topics(broker.bootstrap)
        await clickhouse.migrate()
        store = HistoryStore(clickhouse)
        producer = restore_producer(broker.bootstrap)
        await producer.start()
        try:
            restored = await restore(store, producer)
        finally:
            await producer.stop()
        worker = start_worker(settings, data_dir / "worker.log")
        sink = HistorySink(settings, store)
        await sink.start()
        runner = web.AppRunner(
            build_http_app(Runtime.create(settings, clickhouse)), **server_options(settings)
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        base = f"http://{host}:{port}"
        print(f"hookline dev: API      {base}/api  (OpenAPI: {base}/api/openapi.json)", flush=True)
        print(f"hookline dev: webhooks {base}/hooks/<token>", flush=True)
        print(f"hookline dev: metrics  {base}/metrics   data: {data_dir}", flush=True)
        print(f"hookline dev: broker   {broker.bootstrap}", flush=True)
        print(
            f"hookline dev: restored {restored['config']} config records and "
            f"{restored['leads']} leads from ClickHouse",
            flush=True,
        )
        ready = asyncio.create_task(wait_for_worker(broker.bootstrap, worker))
        await asyncio.wait(
            {ready, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if ready.done():
            print(
                "hookline dev: worker ready"
                if ready.result()
                else "hookline dev: worker NOT ready, see worker.log",
                flush=True,
            )
        else:
            ready.cancel()
        await stop.wait()
        print("hookline dev: stopping", flush=True)
    finally:
        # Reverse order: stop taking webhooks, let the worker finish, drain history.
        if runner is not None:
            await runner.cleanup()
        if worker is not None:
            await asyncio.to_thread(stop_process, worker)
        if sink is not None:
            await asyncio.sleep(settings.history_flush_seconds * 2)
            await sink.stop()
        broker.stop()
        clickhouse.close()
        print("hookline dev: stopped", flush=True)
