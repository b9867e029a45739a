"""Where a benchmark keeps what its run writes (``hookline dev``'s data directory:
ClickHouse, the journal, logs): a new temporary directory, removed when the run ends,
however it ends, unless ``--keep-data`` asks to keep it for a look."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def add_keep_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the run's data directory (logs, ClickHouse, journal) and print where",
    )


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    # A SIGTERM (``timeout``, ``kill``) ends the run through the ``finally`` below, as
    # Ctrl-C does: by default it ended the process there and then, and left the directory.
    previous = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        yield path
    finally:
        signal.signal(signal.SIGTERM, previous)
        if keep:
            print(f"data kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
