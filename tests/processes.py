"""Processes as the kernel sees them (/proc): what a process started, whether a pid
is still alive. The fault tests kill real processes and check what is left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: The repository's root (a fresh interpreter imports its packages from there, wherever
#: pytest was started).
REPOSITORY = Path(__file__).resolve().parents[1]


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; it ends at the last ')'.
    return text[text.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent's wait() counts as dead)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def children(pid: int) -> dict[int, str]:
    """Live children of ``pid``: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[1] == str(pid) and fields[0] != "Z":
                found[int(entry.name)] = cmdline(int(entry.name))
    return found


def child_running(pid: int, marker: str) -> int | None:
    """The pid of a live child of ``pid`` whose command line contains ``marker``."""
    return next((child for child, line in children(pid).items() if marker in line), None)


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def wait_all_dead(pids: list[int], timeout: float) -> list[int]:
    """The pids still alive after ``timeout`` seconds (empty when all died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def python_output(script: str) -> str:
    """What ``script`` prints, run by a fresh interpreter with the repository on its path
    (a measure of its own process's memory, untouched by the test run's)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    ).stdout
