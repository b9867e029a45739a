"""Where the team's real platform payloads are: ``HOOKLINE_SAMPLES_DIR``, else the
repository's sibling ``shared/samples``. The one place the benchmarks and the tests
(``tests/samples.py``) find them."""

from __future__ import annotations

import os
from pathlib import Path

#: ``<repo>/../shared/samples``: where the team keeps them beside every checkout.
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "samples"


def samples_dir() -> Path:
    return Path(os.environ.get("HOOKLINE_SAMPLES_DIR") or DEFAULT_DIR)
