"""Pacing (actions/pacing.py): an account's messages per second across every lead at
once, and a least gap between two messages to one phone."""

from __future__ import annotations

import asyncio

import pytest

from actions.pacing import Pacer, Schedule, reserve


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_of_one_seconds_worth_then_the_rate() -> None:
    schedule = Schedule()
    starts = [reserve(schedule, 10.0, rate=5) for _ in range(15)]
    assert starts[:5] == [10.0] * 5  # the burst
    assert starts[5:] == pytest.approx([10.0 + 0.2 * n for n in range(1, 11)])
    # Within any second from the start, at most rate + burst.
    assert sum(1 for s in starts if s < 11.0) <= 10


def test_a_slow_rate_spaces_every_send() -> None:
    schedule = Schedule()
    assert [reserve(schedule, 0.0, rate=0.5) for _ in range(3)] == [0.0, 2.0, 4.0]


def test_concurrent_sends_of_one_account_queue_across_leads() -> None:
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    starts = [pacer.reserve("acc_1", f"+55119000000{n:02d}", rate=2, gap=0) for n in range(6)]
    assert starts == [100.0, 100.0, 100.5, 101.0, 101.5, 102.0]
    # Another account has its own schedule.
    assert pacer.reserve("acc_2", "+5511900000000", rate=2, gap=0) == 100.0


async def test_one_phone_waits_for_its_gap_without_holding_the_others() -> None:
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    assert await pacer.wait("acc_1", "+5511900000000", rate=100, gap=1.5) == 0.0
    assert await pacer.wait("acc_1", "+5511900000000", rate=100, gap=1.5) == 1.5
    assert clock.now == 101.5
    # Another phone of the account is not held back by that wait.
    assert pacer.reserve("acc_1", "+5511900000001", rate=100, gap=1.5) == 101.5


async def test_wait_sleeps_until_its_turn() -> None:
    clock = Clock()
    pacer = Pacer(clock, clock.sleep)
    await asyncio.gather(*(pacer.wait("acc_1", f"+551190000{n}", 1, 0) for n in range(3)))
    assert clock.now == 102.0  # the third send started two seconds after the first
