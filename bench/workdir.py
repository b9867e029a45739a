"""Where a benchmark keeps what its run writes (``hookline dev``'s data directory:
ClickHouse, the journal, logs): a new temporary directory, removed when the run ends,
however it ends, unless ``--keep-data`` asks to keep it for a look."""

from __future__ import annotations

import argparse
import contextlib
import shutil
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


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"data kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
