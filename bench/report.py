"""What the benchmarks print while they run."""

from __future__ import annotations

import sys
import time


def progress(message: str) -> None:
    """A timestamped line on stderr: the figures themselves go to stdout."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
