"""hookline/embedded/dev.py: before the workers start, expired dedup marks leave every
worker journal, those of workers no longer run included; nothing else does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from core.journal import Journal, latest_states, load_key, worker_file
from hookline.embedded.dev import forget_expired_marks
from schemas.topics import DEDUP, LEADS


async def test_expired_marks_leave_every_worker_journal_and_nothing_else(
    tmp_path: Path,
) -> None:
    key = load_key(tmp_path)
    # Worker 0 runs; worker 3 ran before HOOKLINE_DEV_WORKERS was lowered.
    journals = [Journal(tmp_path / worker_file(i), key).open_for_writing() for i in (0, 3)]
    try:
        for index, journal in enumerate(journals):
            await journal.put_state(DEDUP.name, 0, f"int_1:old-{index}", b"mark")
            await journal.put_state(LEADS.name, 0, f"acc_1:+55{index}", b"lead")
        await asyncio.sleep(0.2)
        window_start = time.time()
        await asyncio.sleep(0.2)
        for index, journal in enumerate(journals):
            await journal.put_state(DEDUP.name, 1, f"int_1:new-{index}", b"mark")
    finally:
        for journal in journals:
            journal.close()

    await forget_expired_marks(tmp_path, key, time.time() - window_start)

    left = {
        (entry.topic, entry.key)
        for entry in latest_states([Journal(tmp_path / worker_file(i), key) for i in (0, 3)])
    }
    assert left == {
        (DEDUP.name, "int_1:new-0"),
        (DEDUP.name, "int_1:new-1"),
        (LEADS.name, "acc_1:+550"),  # a lead is never expired: it may be the only copy
        (LEADS.name, "acc_1:+551"),
    }
