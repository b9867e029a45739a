"""Debian's Chromium under Playwright (the Python package), for the console's browser
tests: never a browser Playwright downloads. With ``CI=true`` a missing Chromium or
Playwright fails the run (tests/ci.py); elsewhere the test is skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.ci import unavailable

CHROMIUM = Path(os.environ.get("HOOKLINE_CHROMIUM", "/usr/bin/chromium"))
#: What Chromium needs on these machines: no sandbox as root, and no background
#: connections (the network is closed; they would be refused many at a time).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian's Chromium (sync API)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
