"""Pacing sends in the worker, before a channel is called: an account's messages per
second, and a least gap between two messages to one phone.

The executor runs many leads at once (``actions/agent.py``), so the limit is one
shared schedule per process: each send reserves its start time before it sleeps, so
sends that arrive together queue one behind the other instead of all waking at once.
The account's limit is a GCRA (the virtual scheduling form of a token bucket) allowing
a burst of one second's worth; the recipient gap is exact within a process, and a
lead's commands all run in the process that owns its partition.

Several worker processes share an account's rate: each paces it at the rate times its
share of the commands topic's partitions (``share`` in :meth:`Sender.pace`; a lead's
commands, so its account's sends, spread over the partitions by phone). Together they
never send faster than the account's rate; when an account's leads crowd into the
partitions of one process, that process sends slower than the rate allows (safe: the
limits protect WhatsApp numbers from bans)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: Recipients remembered beyond this many are forgotten once their gap has passed.
PRUNE_ABOVE = 10_000


@dataclass
class Schedule:
    """One account's GCRA state: the theoretical arrival time of its next send."""

    tat: float = 0.0


def reserve(schedule: Schedule, at: float, rate: float) -> float:
    """Reserve the earliest start not before ``at`` that keeps ``rate`` sends a second
    (a burst of ``ceil(rate)`` allowed); returns it and moves the schedule on."""
    interval = 1.0 / rate
    tolerance = (max(1, math.ceil(rate)) - 1) * interval
    start = max(at, schedule.tat - tolerance)
    schedule.tat = max(schedule.tat, start) + interval
    return start


class Pacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._accounts: dict[str, Schedule] = {}
        #: (account, phone) -> when the next message to that phone may start.
        self._recipients: dict[tuple[str, str], float] = {}

    def reserve(self, account_id: str, phone: str, rate: float, gap: float) -> float:
        """Reserve the account's next start from now (the clock's time base); the phone's
        gap must have passed (:meth:`wait` sees to it)."""
        now = self._clock()
        start = reserve(self._accounts.setdefault(account_id, Schedule()), now, rate)
        self._recipients[(account_id, phone)] = start + gap
        if len(self._recipients) > PRUNE_ABOVE:
            self._recipients = {k: t for k, t in self._recipients.items() if t > now}
        return start

    async def wait(self, account_id: str, phone: str, rate: float, gap: float) -> float:
        """Wait for this send's turn; returns how long it waited. The phone's gap first
        (one lead's sends run one after the other, so nothing else waits for that
        phone), then the account's slot, reserved only then: a send waiting for its
        recipient holds no slot of the account's other leads."""
        started = self._clock()
        ready = self._recipients.get((account_id, phone), started)
        if ready > started:
            await self._sleep(ready - started)
        delay = self.reserve(account_id, phone, rate, gap) - self._clock()
        if delay > 0:
            await self._sleep(delay)
        return max(0.0, self._clock() - started)
