"""Child processes of hookline: started so that they die with their parent, and
(for the worker of ``hookline dev``) restarted with backoff when they exit.

* **Die with the parent.** :func:`spawn` gives every child the Linux parent-death
  signal (``PR_SET_PDEATHSIG`` = SIGKILL) between fork and exec, then checks that
  its parent is still the process that forked it (if that one died first, the signal
  would never come). The signal fires when the *thread* that forked exits, so
  children are spawned only from the main thread or an event-loop thread, never from
  ``asyncio.to_thread``. Each child also gets its own process group: a terminal's
  Ctrl-C reaches ``hookline dev`` alone, which then stops its children in order.
* **Restart with backoff.** :class:`Backoff` (pure) gives the delay before each
  restart: doubling from ``first`` up to ``cap``, back to ``first`` once a run lasted
  ``healthy_after`` seconds. :class:`Supervisor` watches its child from the event loop
  (a pidfd, no thread), and logs and counts every restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core import metrics

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that sets the parent-death signal; None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the child
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def in_child() -> None:
        if prctl(PR_SET_PDEATHSIG, kill, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl: nobody will signal
            os._exit(1)

    return in_child


def spawn(argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` for a child that dies with this process (see the module
    docstring); ``popen`` are Popen's other keyword arguments."""
    if threading.current_thread() is not threading.main_thread():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "spawn children from the main thread or an event-loop thread: the "
                "parent-death signal fires when the thread that forked them exits"
            ) from None
    popen.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(  # noqa: S603 - argv from our own code, no shell
        argv, preexec_fn=_die_with_parent(), process_group=0, **popen
    )


async def wait_exit(process: subprocess.Popen[Any]) -> int:
    """Wait on the event loop for ``process`` to exit, reap it, return its status."""
    if process.poll() is not None:
        return process.returncode
    try:
        pidfd = os.pidfd_open(process.pid)
    except OSError:  # a kernel without pidfd (before 5.3): poll instead
        while process.poll() is None:
            await asyncio.sleep(0.1)
        return process.returncode
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    loop.add_reader(pidfd, lambda: exited.done() or exited.set_result(None))
    try:
        await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return process.wait()


def describe_exit(returncode: int) -> dict[str, Any]:
    """Log fields of an exit status: ``exit_code``, or ``signal`` for a killed process."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return {"signal": signal.Signals(-returncode).name}
        return {"signal": -returncode}
    return {"exit_code": returncode}


@dataclass(frozen=True)
class Backoff:
    """Delay before restarting a process that exited."""

    #: Delay before the first restart of a series.
    first: float = 1.0
    #: Each further consecutive failure multiplies the delay by this ...
    factor: float = 2.0
    #: ... up to this.
    cap: float = 30.0
    #: A run at least this long was healthy: the next failure starts a new series.
    healthy_after: float = 60.0

    def next(self, failures: int, ran_for: float) -> tuple[int, float]:
        """(consecutive failures counting this one, seconds to wait before the restart),
        given the consecutive failures so far and how long the last run lasted."""
        failures = 1 if ran_for >= self.healthy_after else failures + 1
        return failures, min(self.cap, self.first * self.factor ** (failures - 1))


class Supervisor:
    """Runs one child process (``start`` spawns it) and restarts it whenever it exits,
    until :meth:`stop`. Construct and start it on the event loop's thread."""

    def __init__(
        self,
        name: str,
        start: Callable[[], subprocess.Popen[Any]],
        backoff: Backoff | None = None,
    ) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self.restarts = 0
        self.process: subprocess.Popen[Any] | None = None
        self._start = start
        self._started_at = 0.0
        self._failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs; None while it is down."""
        process = self.process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        """Start the child (a failure to spawn it raises) and begin watching it."""
        self._spawn()
        self._task = asyncio.create_task(self._supervise(), name=f"supervise:{self.name}")
        self._task.add_done_callback(self._on_done)

    def _on_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.critical(
                "supervisor failed: the process is no longer restarted",
                extra={"child": self.name},
                exc_info=task.exception(),
            )

    def _spawn(self) -> None:
        self.process = self._start()
        self._started_at = time.monotonic()
        log.info(
            "process started",
            extra={"child": self.name, "pid": self.process.pid, "restarts": self.restarts},
        )

    async def _supervise(self) -> None:
        while True:
            assert self.process is not None
            pid, returncode = self.process.pid, await wait_exit(self.process)
            exit_fields: dict[str, Any] = describe_exit(returncode)
            while True:
                ran_for = time.monotonic() - self._started_at
                self._failures, delay = self.backoff.next(self._failures, ran_for)
                log.error(
                    "process exited; restarting",
                    extra={
                        "child": self.name,
                        "pid": pid,
                        **exit_fields,
                        "ran_s": round(ran_for, 1),
                        "restart": self.restarts + 1,
                        "consecutive_failures": self._failures,
                        "next_delay_s": delay,
                    },
                )
                await asyncio.sleep(delay)
                self.restarts += 1
                metrics.PROCESS_RESTARTS.labels(self.name).inc()
                try:
                    self._spawn()
                    break
                except OSError as exc:  # e.g. out of memory or pids: try again later
                    pid, exit_fields = None, {"spawn_error": str(exc)}
                    self._started_at = time.monotonic()

    async def stop(self, timeout: float = 20.0) -> bool:
        """Stop restarting, then SIGTERM the child; SIGKILL it after ``timeout``. True
        when the child had never died (no restart) and now stopped cleanly (status 0)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        process = self.process
        if process is None or process.returncode is not None:
            return False
        process.terminate()
        try:
            async with asyncio.timeout(timeout):
                returncode = await wait_exit(process)
        except TimeoutError:
            process.kill()
            returncode = await wait_exit(process)
        log.info(
            "process stopped",
            extra={"child": self.name, "pid": process.pid, **describe_exit(returncode)},
        )
        return returncode == 0 and self.restarts == 0
