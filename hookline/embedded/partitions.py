"""How many partitions each topic has on the embedded broker: fixed when a data
directory is first used, then kept in ``<journal>/partitions.json`` for good.

Why fewer than on Apache Kafka: tansu's cost is per record batch. Every batch it
writes, and every batch it hands to a reader, costs it tens of microseconds, and a
produce request holds at most one batch per partition. With 8 partitions a topic, the
records produced together at 1,000 webhooks/s spread over 8 batches; with 2, over 2.
``bench/e2e.py --webhooks 15000 --rate 1000``, three pairs alternating with the commit
before (stop 34, docs/performance.md): the broker took 351-360 µs of CPU a webhook with
2 partitions a topic against 481-499 with 8, and the end-to-end p99 went from 208-218
ms to 147-157.

So a new data directory gets a partition per worker (``HOOKLINE_DEV_WORKERS``): the
parallelism ``hookline dev`` runs with, never more than ``schemas/topics.py`` declares
for Apache Kafka.

Why fixed: the workers' journals keep each lead, send intent and dedup mark under the
partition it was written to, and the restore publishes them there again
(``restore.py``). With another count, a lead's state would be looked for in another
partition: not found, so its webhooks deduplicated no more and its sends maybe twice.
A data directory used before this file existed has journals written with the counts of
``schemas/topics.py``, and keeps them. More workers than partitions later leave the
extra ones idle (logged at start)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from core.journal import FRONT_FILE, worker_files
from schemas.topics import ALL_TOPICS, WEBHOOKS, TopicSpec

log = logging.getLogger(__name__)
FILE = "partitions.json"


def declared(specs: Iterable[TopicSpec] = ALL_TOPICS, at_most: int | None = None) -> dict[str, int]:
    """Each topic's partitions as ``schemas/topics.py`` declares them, ``at_most`` each."""
    return {s.name: min(s.partitions, at_most or s.partitions) for s in specs}


def topic_partitions(journal_dir: Path, workers: int) -> dict[str, int]:
    """This data directory's partitions per topic: those it was first used with, else
    (a new one) a partition per worker, recorded now."""
    path = journal_dir / FILE
    if path.exists():
        recorded = _read(path)
    elif (journal_dir / FRONT_FILE).exists() or worker_files(journal_dir):
        recorded = declared()  # journaled before this file existed: the declared counts
        _write(path, recorded)
    else:
        recorded = declared(at_most=workers)
        _write(path, recorded)
    # A topic added to schemas/topics.py since: it has no journaled state yet.
    partitions = {**declared(at_most=workers), **recorded}
    if workers > partitions[WEBHOOKS.name]:
        log.warning(
            "more workers than partitions: the extra ones stay idle. The count was fixed"
            " at this data directory's first start; a new one started with as many"
            " workers gets as many partitions",
            extra={
                "workers": workers,
                "partitions": partitions[WEBHOOKS.name],
                "recorded_in": str(path),
            },
        )
    return partitions


def _read(path: Path) -> dict[str, int]:
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in recorded.values()
        ):
            raise ValueError("expected an object of topic names to positive partition counts")
    except (OSError, ValueError) as exc:
        raise SystemExit(
            f"{path}: unreadable ({exc}). It records the partitions this data directory's"
            " journals were written with; restore it from a backup rather than delete it."
        ) from None
    return recorded


def _write(path: Path, partitions: Mapping[str, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        file.write(json.dumps(partitions, indent=1, sort_keys=True) + "\n")
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)  # whole or not at all: a half-written file is never read
