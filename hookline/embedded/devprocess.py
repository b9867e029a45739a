"""Run ``hookline dev`` as a child process: used by the end-to-end tests and the
benchmarks, which talk to it over HTTP only.

The child dies with the process that started it (``supervisor.spawn``), and
:meth:`DevServer.stop` makes sure no process it started (broker, worker) is left."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.journal import FRONT_FILE
from hookline.embedded.broker import free_port
from hookline.embedded.supervisor import spawn


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]  # after "pid (comm) "
    return state, int(ppid)


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg for arg in raw.decode(errors="replace").split("\0") if arg]


def _worker_index(pid: int) -> int:
    """A worker process's index among hookline dev's workers (``HOOKLINE_WORKER_INDEX``)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return 0
    prefix = b"HOOKLINE_WORKER_INDEX="
    return next((int(v[len(prefix) :]) for v in environ if v.startswith(prefix)), 0)


def process_alive(pid: int) -> bool:
    """The process exists and is not a zombie (dead, not yet reaped)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def child_processes(pid: int) -> dict[int, list[str]]:
    """pid -> argv of each live child of process ``pid``."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[1] == pid:
            if stat[0] != "Z" and (argv := _argv(int(entry.name))):
                children[int(entry.name)] = argv
    return children


class DevServer:
    def __init__(
        self,
        data_dir: Path,
        admin_token: str = "admin-e2e",  # noqa: S107 - a local test token
        port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.admin_token = admin_token
        self.port = port or free_port()
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        #: pid -> argv of every child of hookline dev seen so far.
        self.seen: dict[int, list[str]] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        env = {**os.environ, "HOOKLINE_ADMIN_TOKEN": self.admin_token}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "dev.log", "ab") as log:
            self.process = spawn(
                [
                    sys.executable,
                    "-m",
                    "hookline.cli",
                    "dev",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.children()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None and self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"hookline dev exited early: {self.output}\n{self.log_tail()}")
            self.output.append(line.rstrip())
            if "worker ready" in line:
                return
            if "worker NOT ready" in line:
                raise RuntimeError(f"worker failed to start\n{self.log_tail()}")
        raise TimeoutError(f"hookline dev not ready in {timeout} s: {self.output}")

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in [self.data_dir / "dev.log", *sorted(self.data_dir.glob("worker*.log"))]:
            if path.exists():
                tail = "\n".join(path.read_text().splitlines()[-lines:])
                text += f"--- {path.name}\n{tail}\n"
        return text

    def children(self) -> dict[str, int]:
        """name -> pid of hookline dev's live children: the broker and its workers
        (``worker``, ``worker-1``, ...: the names of their logs)."""
        found = {}
        if self.process is not None:
            for pid, argv in child_processes(self.process.pid).items():
                if argv[-1:] == ["worker"]:
                    index = _worker_index(pid)
                    found["worker" if index == 0 else f"worker-{index}"] = pid
                else:
                    found["broker"] = pid
                self.seen[pid] = argv
        return found

    def kill(self) -> None:
        """SIGKILL hookline dev itself (its children are left to the parent-death signal)."""
        assert self.process is not None
        self.children()
        self.process.kill()
        self.process.wait()

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM hookline dev and wait for it; then SIGKILL whatever it started that is
        still alive (nothing should be). Its exit status."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        self.output += out.splitlines()
        for pid in self.leftovers():
            os.kill(pid, signal.SIGKILL)
        return process.returncode

    def leftovers(self) -> list[int]:
        """Children seen earlier that still run after hookline dev is gone."""
        return [pid for pid, argv in self.seen.items() if process_alive(pid) and _argv(pid) == argv]


def query_clickhouse(data_dir: Path, sql: str) -> list[dict]:
    """Query the dev server's ClickHouse directory from a separate process
    (chdb allows one data directory per process)."""
    script = (
        "import json,sys,clickhouse_connect\n"
        "c=clickhouse_connect.get_client(interface='chdb', path=sys.argv[2])\n"
        "r=c.query(sys.argv[1])\n"
        "print(json.dumps([dict(zip(r.column_names,row)) for row in r.result_rows],default=str))\n"
    )
    out = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", script, sql, str(data_dir / "clickhouse")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def journaled_webhook_count(data_dir: Path) -> int:
    """Accepted webhooks ``hookline dev``'s journal still holds (not yet known finished):
    what its next start would publish again."""
    path = data_dir / "journal" / FRONT_FILE
    with contextlib.closing(sqlite3.connect(path)) as journal:
        return journal.execute("SELECT count(*) FROM accepted").fetchone()[0]
