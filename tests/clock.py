"""A clock for tests of code that takes one (``clock=time.monotonic`` by default)."""

from __future__ import annotations


class FakeClock:
    """Returns ``now``; tests move it forward by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
