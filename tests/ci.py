"""One rule for a missing test dependency (broker, ClickHouse, package, samples):
with ``CI=true`` it fails the run, so CI can never go green by testing nothing;
on a developer machine it skips with the reason."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"required test dependency unavailable (CI=true): {reason}", pytrace=False)
    pytest.skip(reason)
