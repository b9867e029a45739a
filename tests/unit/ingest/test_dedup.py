"""Recently answered deliveries (ingest/dedup.py) with an injected clock."""

from __future__ import annotations

import asyncio

import pytest

from ingest.dedup import RecentDeliveries, delivery_key
from tests.clock import FakeClock


def test_an_entry_lives_for_the_window_and_keeps_the_first_id() -> None:
    clock = FakeClock()
    recent = RecentDeliveries(ttl=60, max_entries=10, clock=clock)
    assert recent.get("k") is None
    recent.add("k", "first")
    recent.add("k", "second")
    clock.now = 59.9
    assert recent.get("k") == "first"
    clock.now = 60.0
    assert recent.get("k") is None and len(recent) == 0


def test_the_oldest_entries_go_first_beyond_max_entries() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=2, clock=FakeClock())
    for key in ("a", "b", "c"):
        recent.add(key, key.upper())
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (None, "B", "C")
    assert len(recent) == 2


def test_expired_entries_are_dropped_when_adding() -> None:
    clock = FakeClock()
    recent = RecentDeliveries(ttl=10, max_entries=100, clock=clock)
    for i in range(50):
        recent.add(str(i), "r")
    clock.now = 11
    recent.add("new", "r")
    assert len(recent) == 1


def test_keys_are_per_integration() -> None:
    assert delivery_key("int_1", "evt") != delivery_key("int_2", "evt")
    # No separator games: ("a", "b:c") and ("a:b", "c") differ.
    assert delivery_key("a", "b:c") != delivery_key("a:b", "c")


def test_get_checks_the_entry_itself_whatever_the_order() -> None:
    # An entry added with a clock far behind (another test, a clock jump) sits in front
    # without expiring; a later, expired entry behind it must still read as gone.
    clock = FakeClock()
    recent = RecentDeliveries(ttl=10, max_entries=100, clock=clock)
    clock.now = 1000
    recent.add("late", "r1")
    clock.now = 0
    recent.add("early", "r2")
    clock.now = 1005
    assert recent.get("early") is None and recent.get("late") == "r1"


# -- deliveries in flight --------------------------------------------------------------
async def _copy(recent: RecentDeliveries, request_id: str, outcome: asyncio.Future[bool]) -> str:
    """One request carrying delivery "k": the id it is answered with. It writes when it
    holds the key; ``outcome`` says whether that write succeeds (else it raises, a 503)."""
    async with recent.claim("k") as first:
        if first is not None:
            return f"duplicate of {first}"
        if not await outcome:
            raise ConnectionError("broker unavailable")
        recent.add("k", request_id)
    return f"written by {request_id}"


async def test_copies_arriving_during_a_write_wait_and_are_duplicates_of_it() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=10)
    write: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    copies = [asyncio.create_task(_copy(recent, f"r{i}", write)) for i in range(5)]
    await asyncio.sleep(0)  # every copy has arrived; r0 holds the key
    assert not any(c.done() for c in copies)
    write.set_result(True)
    assert await asyncio.gather(*copies) == ["written by r0"] + ["duplicate of r0"] * 4


async def test_when_the_write_fails_the_next_copy_writes_it_itself() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=10)
    loop = asyncio.get_running_loop()
    failing, succeeding = loop.create_future(), loop.create_future()
    first = asyncio.create_task(_copy(recent, "r0", failing))
    others = [asyncio.create_task(_copy(recent, f"r{i}", succeeding)) for i in (1, 2)]
    await asyncio.sleep(0)
    failing.set_result(False)
    succeeding.set_result(True)
    with pytest.raises(ConnectionError):
        await first
    assert await asyncio.gather(*others) == ["written by r1", "duplicate of r1"]
    assert recent.get("k") == "r1"


async def test_a_cancelled_write_releases_the_key() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=10)
    never: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    holder = asyncio.create_task(_copy(recent, "r0", never))
    await asyncio.sleep(0)
    holder.cancel()
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    done.set_result(True)
    assert await asyncio.wait_for(_copy(recent, "r1", done), 1) == "written by r1"


async def test_other_keys_do_not_wait() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=10)
    async with recent.claim("a") as first:
        assert first is None
        async with asyncio.timeout(1):
            async with recent.claim("b") as other:
                assert other is None


async def test_a_copy_cancelled_while_waiting_leaves_nothing_held() -> None:
    recent = RecentDeliveries(ttl=60, max_entries=10)
    write: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    holder = asyncio.create_task(_copy(recent, "r0", write))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(_copy(recent, "r1", write))
    await asyncio.sleep(0)
    waiter.cancel()  # the platform hung up while its copy waited for r0's write
    with pytest.raises(asyncio.CancelledError):
        await waiter
    write.set_result(True)
    assert await holder == "written by r0"
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    done.set_result(True)
    assert await asyncio.wait_for(_copy(recent, "r2", done), 1) == "duplicate of r0"
