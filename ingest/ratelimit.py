"""Token buckets, one per integration, in one gateway process. Pure (the clock is
injected); not shared between processes, so N gateways accept up to N times the rate."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """``take(key, rate, burst)``: a bucket of ``burst`` tokens refilled at ``rate``
    per second; each request takes one. Buckets idle longest are forgotten first once
    there are ``max_keys`` (a forgotten bucket comes back full)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        #: key -> (tokens, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, rate: float, burst: int) -> float:
        """0 when a token was taken; else how many seconds until one will be there."""
        now = self.clock()
        tokens, updated = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + max(0.0, now - updated) * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return 0.0 if allowed else (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
