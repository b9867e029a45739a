"""Run ``hookline dev`` as a child process: used by the end-to-end tests and the
benchmarks, which talk to it over HTTP only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hookline.embedded.broker import free_port


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

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        env = {**os.environ, "HOOKLINE_ADMIN_TOKEN": self.admin_token}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
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
            stderr=open(self.data_dir / "dev.log", "ab"),
            text=True,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
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
        for name in ("dev.log", "worker.log"):
            path = self.data_dir / name
            if path.exists():
                text += f"--- {name}\n" + "\n".join(path.read_text().splitlines()[-lines:]) + "\n"
        return text

    def stop(self, timeout: float = 60.0) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        self.output += out.splitlines()
        return process.returncode


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
