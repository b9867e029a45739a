"""``hookline dev``: the whole pipeline on one machine.

Starts the embedded broker (subprocess), creates topics, opens ClickHouse in
this process (chdb: one process per data directory, so this process does both
the history writes and the history reads), refills the broker from the journal
(the broker keeps nothing across a restart: ``journal.py``, ``restore.py``),
starts the faust workers (``HOOKLINE_DEV_WORKERS`` subprocesses, one consumer
group) and serves gateway + API on one port, as soon as the broker is refilled. Ctrl-C
or SIGTERM stops everything: the workers, then the server, then the history sink.

Every subprocess dies with this one (``supervisor.spawn``). Each worker is restarted
with backoff whenever it exits. The broker is not: it holds everything in memory, so
when it dies this process logs it and exits with status 1, for an outer supervisor to
start it again.

The embedded broker enforces no retention (deploy/topics.md): it keeps every record in
memory. Once it holds more than ``HOOKLINE_BROKER_RECYCLE_MB``, this process stops
everything in order and answers :data:`RECYCLE`, and ``hookline dev`` starts again in
the same process (``execv``): a new, empty broker is refilled from the journal with
only what is not finished (the journal's pruner drops what ClickHouse holds). The port
stays open through those seconds (``listener.py``): a webhook sent meanwhile waits in
the kernel's queue and is answered by the program started again, and the answers
before it close their connections (``stop_serving`` in ``hookline/server.py``), so none
is cut off. None accepted is lost (the journal has it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from core import embedded_fetch, serverkey
from core.http import DRAINING
from core.journal import FRONT_FILE, Journal, load_key, worker_files
from core.kafka import ensure_topics, new_producer
from core.loop import settle_gc
from core.settings import Settings
from hookline.embedded.broker import EmbeddedBroker
from hookline.embedded.partitions import topic_partitions
from hookline.embedded.pruner import JournalPruner
from hookline.embedded.restore import mark_all_stored, restore, take_all_stored_mark
from hookline.embedded.supervisor import Supervisor, describe_exit, spawn
from hookline.health import WORKER_GROUP, describe_group
from hookline.history.clickhouse import ClickHouse
from hookline.history.finished import RecentlyStored
from hookline.history.sink import HistorySink
from hookline.history.store import HistoryStore
from hookline.runtime import Runtime
from hookline.server import build_http_app, server_options, stop_serving

log = logging.getLogger(__name__)


def start_worker(settings: Settings, index: int, log_path: Path) -> subprocess.Popen[Any]:
    env = {
        **os.environ,
        "HOOKLINE_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "HOOKLINE_EMBEDDED_BROKER": "true",
        "HOOKLINE_LOG_LEVEL": settings.log_level,
        "HOOKLINE_WORKER_INDEX": str(index),
    }
    # Its /metrics, if HOOKLINE_METRICS_PORT asks for them: on this machine only.
    env.setdefault("HOOKLINE_METRICS_HOST", "127.0.0.1")
    if settings.journal_dir is not None:
        env["HOOKLINE_JOURNAL_DIR"] = str(settings.journal_dir)
    with open(log_path, "ab") as out:
        return spawn(
            [sys.executable, "-m", "hookline.cli", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def worker_log(data_dir: Path, index: int) -> Path:
    return data_dir / ("worker.log" if index == 0 else f"worker-{index}.log")


class Workers:
    """The worker processes of ``hookline dev``, each supervised (restarted with
    backoff when it exits). They form one consumer group: each takes a share of the
    partitions, about a core each under load (a Python process is bound by its
    interpreter lock), and each journals its own state."""

    def __init__(self, settings: Settings, data_dir: Path) -> None:
        self.supervisors = [
            Supervisor(
                "worker" if index == 0 else f"worker-{index}",
                partial(start_worker, settings, index, worker_log(data_dir, index)),
            )
            for index in range(settings.dev_workers)
        ]

    def start(self) -> None:
        for supervisor in self.supervisors:
            supervisor.start()

    async def stop(self, timeout: float) -> bool:
        """True when every worker stopped cleanly and none had died: then every state
        write a worker journaled was also produced (a worker writes its journal first)."""
        return all(await asyncio.gather(*(s.stop(timeout=timeout) for s in self.supervisors)))

    def pids(self) -> tuple[int, ...] | None:
        """Every worker's pid while all run; None while one is down."""
        pids = [s.pid for s in self.supervisors]
        if None in pids:
            return None
        return tuple(pid for pid in pids if pid is not None)

    @property
    def alive(self) -> bool:
        return self.pids() is not None

    def __len__(self) -> int:
        return len(self.supervisors)


async def forget_expired_marks(journal_dir: Path, key: bytes, window_seconds: float) -> None:
    """Before any worker runs: drop the dedup marks older than the window from every
    worker journal. A running worker forgets its own every minute; this is what forgets
    those of workers no longer run (``HOOKLINE_DEV_WORKERS`` lowered), which every
    worker still reads and which would otherwise keep a day of marks for good."""
    for path in worker_files(journal_dir):
        journal = Journal(path, key).open_for_writing()
        try:
            await journal.forget_expired_marks(window_seconds)
        finally:
            journal.close()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_for_worker(bootstrap: str, workers: Workers, timeout: float = 90.0) -> bool:
    """True once every worker process runs and their consumer group is stable with a
    member each."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        async with asyncio.timeout(timeout):
            await admin.start()
            while True:
                with contextlib.suppress(Exception):
                    state, members = await describe_group(admin, WORKER_GROUP)
                    if workers.alive and state == "Stable" and len(members) >= len(workers):
                        return True
                await asyncio.sleep(0.5)
    except TimeoutError:
        return False
    finally:
        await admin.close()


#: What :func:`run_dev` answers when its broker has outgrown its memory limit:
#: ``hookline dev`` then starts again (EX_TEMPFAIL).
RECYCLE = 75
#: Seconds between two looks at the broker's memory.
RECYCLE_CHECK_SECONDS = 5.0


def resident_mb(pid: int) -> float:
    """A process's resident memory (Linux ``/proc``), 0 when it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


async def outgrown(broker: EmbeddedBroker, limit_mb: int) -> float:
    """Return (the broker's resident MB) once it holds more than ``limit_mb`` and half
    that more than it held when this was called (just refilled from the journal): a
    new broker would be refilled with about as much, so recycling sooner could only
    repeat itself. Never returns when the limit is 0."""
    if limit_mb <= 0 or broker.pid is None:
        await asyncio.Event().wait()
    assert broker.pid is not None
    threshold = max(limit_mb, resident_mb(broker.pid) + limit_mb / 2)
    while True:
        await asyncio.sleep(RECYCLE_CHECK_SECONDS)
        if (size := resident_mb(broker.pid)) > threshold:
            return size


async def until_stopped(
    stop: asyncio.Event, broker: EmbeddedBroker, workers: Workers, recycle_mb: int = 0
) -> int:
    """Say when the workers are ready, then wait for Ctrl-C or SIGTERM (exit status 0),
    for the broker to die (1: what it held in memory is gone; restart hookline dev) or
    to outgrow ``recycle_mb`` (:data:`RECYCLE`)."""
    ready = asyncio.create_task(wait_for_worker(broker.bootstrap, workers))
    stopped = asyncio.create_task(stop.wait())
    broker_exit = asyncio.create_task(broker.wait_exit())
    grown = asyncio.create_task(outgrown(broker, recycle_mb))
    try:
        await asyncio.wait({ready, stopped, broker_exit}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            ok = ready.exception() is None and ready.result()
            state = "ready" if ok else "NOT ready, see worker.log"
            print(f"hookline dev: worker {state}", flush=True)
        await asyncio.wait({stopped, broker_exit, grown}, return_when=asyncio.FIRST_COMPLETED)
        if grown.done() and not broker_exit.done():
            log.warning(
                "embedded broker outgrew its memory limit: restarting hookline dev on a new"
                " broker refilled from the journal",
                extra={"broker_mb": round(grown.result()), "limit_mb": recycle_mb},
            )
            print(f"hookline dev: recycling the broker ({grown.result():.0f} MB)", flush=True)
            return RECYCLE
        if not broker_exit.done():
            return 0
        log.critical(
            "embedded broker exited: everything it held in memory is lost; stopping",
            extra={"child": "broker", "pid": broker.pid, **describe_exit(broker_exit.result())},
        )
        return 1
    finally:
        for task in (ready, stopped, broker_exit, grown):
            task.cancel()


async def sweep_journal(pruner: JournalPruner, timeout: float = 10.0) -> None:
    """The journal's last sweep at a stop (:meth:`JournalPruner.sweep`); what it has
    not done in ``timeout`` (ClickHouse asked about many stuck entries, or down) the
    next start publishes again, as before."""
    try:
        async with asyncio.timeout(timeout):
            forgotten = await pruner.sweep()
    except Exception:
        log.warning("journal not swept at the stop", exc_info=True)
    else:
        log.info("journal swept at the stop", extra={"forgotten": forgotten})


async def run_dev(
    settings: Settings, data_dir: Path, host: str, sockets: list[socket.socket]
) -> int:
    """Run until Ctrl-C or SIGTERM (exit status 0), the broker's death (1) or its
    outgrowing ``HOOKLINE_BROKER_RECYCLE_MB`` (:data:`RECYCLE`), serving HTTP on
    ``sockets`` (``listener.py``: the caller's, left open for the next run)."""
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start-up
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    broker = EmbeddedBroker(log_path=data_dir / "broker.log")
    broker.start()
    journal_dir = data_dir / "journal"
    settings = settings.model_copy(
        update={
            "bootstrap_servers": broker.bootstrap,
            "embedded_broker": True,
            "journal_dir": journal_dir,
        }
    )
    embedded_fetch.apply(settings)  # this process's consumers: sink, config view, restore
    status = 1  # unless stopped by a signal
    sink: HistorySink | None = None
    pruner: JournalPruner | None = None
    clickhouse = ClickHouse.open(f"chdb://{data_dir / 'clickhouse'}", "hookline")
    key = settings.journal_key.get_secret_value() if settings.journal_key else None
    key_bytes = load_key(journal_dir, key)
    if settings.server_key is None:  # URL tokens are sealed and console sessions signed with it
        server_key = load_key(
            data_dir, None, filename=serverkey.KEY_FILE, setting=serverkey.SETTING
        )
        settings = settings.model_copy(
            update={"server_key": SecretStr(serverkey.encode_key(server_key))}
        )
    journal = Journal(journal_dir / FRONT_FILE, key_bytes)
    workers = Workers(settings, data_dir)
    # Built while the broker starts (the API's modules take tenths of a second to
    # import), served once the broker holds what the journal had.
    runner = web.AppRunner(
        build_http_app(
            Runtime.create(settings, clickhouse, worker_pids=workers.pids, journal=journal)
        ),
        **server_options(settings),
    )
    try:
        partitions = topic_partitions(journal_dir, settings.dev_workers)
        await asyncio.gather(
            ensure_topics(broker.bootstrap, partitions=partitions), clickhouse.migrate()
        )
        store = HistoryStore(clickhouse)
        # The broker starts empty: refill it from the journal before anything reads it.
        producer = new_producer(broker.bootstrap)
        await producer.start()
        try:
            all_stored = take_all_stored_mark(journal_dir)
            restored = await restore(
                journal,
                [Journal(path, key_bytes) for path in worker_files(journal_dir)],
                producer,
                all_stored=all_stored,
                stored_leads=None if all_stored else await store.lead_versions(),
            )
        finally:
            await producer.stop()
        await forget_expired_marks(journal_dir, key_bytes, settings.dedup_window_seconds)
        journal.open_for_writing()
        workers.start()  # they take seconds to join their group: meanwhile, the rest
        # Webhooks are taken before the history sink has joined its group (3 s on the
        # embedded broker): nothing the gateway does waits for it. Until now the
        # port's queue held them.
        await runner.setup()
        for sock in sockets:
            # The server closes its copy when it stops; the caller's stays listening.
            await web.SockSite(runner, sock.dup()).start()
        recently = RecentlyStored()
        pruner = JournalPruner(journal, store, recently=recently)
        pruner.start()
        sink = HistorySink(settings, store, recently=recently)
        await sink.start()
        port = sockets[0].getsockname()[1]
        settle_gc()  # what exists now lives as long as the process (core/loop.py)
        base = f"http://{host}:{port}"
        print(f"hookline dev: console  {base}/  (sign in with an account's API key)", flush=True)
        print(f"hookline dev: API      {base}/api  (OpenAPI: {base}/api/openapi.json)", flush=True)
        print(f"hookline dev: webhooks {base}/hooks/<token>", flush=True)
        print(f"hookline dev: metrics  {base}/metrics   data: {data_dir}", flush=True)
        print(f"hookline dev: broker   {broker.bootstrap}", flush=True)
        print(f"hookline dev: restored {restored} from the journal", flush=True)
        status = await until_stopped(stop, broker, workers, settings.broker_recycle_mb)
        print("hookline dev: stopping", flush=True)
    finally:
        # Let the workers finish, stop taking webhooks, drain history. Webhooks are
        # still taken while the workers stop (a second or more): the journal has each
        # one accepted, and the next start publishes what was not finished. The server
        # stops before the drain, so the sink stores what it wrote (refusals' records).
        # Without a broker nothing can be accepted: then it stops first, and a worker,
        # unable to commit, is not waited for long.
        if broker.running:
            runner.app[DRAINING].set()  # answers close their connections from now
            workers_clean = await workers.stop(timeout=20.0)
            # The sockets stay open through a recycle, queuing what comes meanwhile;
            # otherwise they close after this (hookline/cli/dev.py).
            await stop_serving(runner, closing=() if status == RECYCLE else sockets)
        else:
            await runner.cleanup()
            workers_clean = await workers.stop(timeout=5.0)
        if pruner is not None:
            await pruner.stop()
        if sink is not None:
            # Nothing writes to the broker now. Once the sink stored all it holds, the
            # next start need not publish the leads again (restore.py), nor the webhooks
            # finished since the pruner's last round.
            if broker.running and await sink.drained(timeout=10.0):
                if workers_clean:
                    mark_all_stored(journal_dir)
                if pruner is not None:
                    await sweep_journal(pruner)
            await sink.stop()
        journal.close()
        broker.stop()
        clickhouse.close()
        print("hookline dev: stopped", flush=True)
    return status
