"""Recently answered deliveries (ingest/dedup.py) with an injected clock."""

from __future__ import annotations

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
