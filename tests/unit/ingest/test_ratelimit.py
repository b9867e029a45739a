"""Token buckets (ingest/ratelimit.py) with an injected clock."""

from __future__ import annotations

import pytest

from ingest.ratelimit import RateLimiter, retry_after
from tests.clock import FakeClock


def test_a_full_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock(1000.0)
    limiter = RateLimiter(clock)
    assert [limiter.take("a", 2.0, 3) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a", 2.0, 3) == pytest.approx(0.5)  # one token every 0.5 s
    clock.now += 0.25
    assert limiter.take("a", 2.0, 3) == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.take("a", 2.0, 3) == 0
    clock.now += 100  # never more than the burst
    assert [limiter.take("a", 2.0, 3) for _ in range(4)][-1] > 0


def test_buckets_are_per_key() -> None:
    limiter = RateLimiter(FakeClock(1000.0))
    assert limiter.take("a", 1.0, 1) == 0
    assert limiter.take("a", 1.0, 1) > 0
    assert limiter.take("b", 1.0, 1) == 0


def test_a_refused_request_takes_no_token() -> None:
    clock = FakeClock(1000.0)
    limiter = RateLimiter(clock)
    limiter.take("a", 1.0, 1)
    for _ in range(10):
        assert limiter.take("a", 1.0, 1) > 0
    clock.now += 1.0
    assert limiter.take("a", 1.0, 1) == 0


def test_idle_buckets_are_forgotten_beyond_max_keys() -> None:
    limiter = RateLimiter(FakeClock(1000.0), max_keys=2)
    for key in ("a", "b", "c"):
        limiter.take(key, 1.0, 1)
    assert limiter.take("a", 1.0, 1) == 0  # forgotten, so full again
    assert limiter.take("c", 1.0, 1) > 0


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.5, "60")])
def test_retry_after_is_whole_seconds_at_least_one(seconds: float, header: str) -> None:
    assert retry_after(seconds) == header
