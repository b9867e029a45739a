"""Forgetting journaled webhooks once ClickHouse shows them fully processed.

A webhook stays in the journal (``core/journal.py``) until its
history row, a result for each of its commands and, if it failed, its dead letter
are stored in ClickHouse (:meth:`HistoryStore.completed`): only then can a stop
of the embedded broker no longer lose any of it. Runs in ``hookline dev`` (the
process that owns ClickHouse), a page of the oldest entries at a time, so an
entry that stays unfinished (ClickHouse down) does not hide the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from core.journal import Journal
from hookline.history.store import HistoryStore

log = logging.getLogger(__name__)


class JournalPruner:
    def __init__(
        self,
        journal: Journal,
        store: HistoryStore,
        interval_seconds: float = 5.0,
        page: int = 2000,
        min_age_seconds: float = 1.0,
    ) -> None:
        self.journal = journal
        self.store = store
        self.interval_seconds = interval_seconds
        self.page = page
        self.min_age_seconds = min_age_seconds
        #: Last seq examined: pages walk the journal and wrap around at its end.
        self._after = 0
        self._task: asyncio.Task[None] | None = None

    async def prune_once(self) -> int:
        """Examine one page; returns how many entries were forgotten."""
        before = time.time() - self.min_age_seconds
        entries = await asyncio.to_thread(self.journal.accepted, self.page, before, self._after)
        if not entries:
            self._after = 0
            return 0
        self._after = entries[-1].seq
        done = await self.store.completed(
            [(e.request_id, e.account_id, e.integration_id) for e in entries]
        )
        finished = [e.seq for e in entries if e.request_id in done]
        if finished:
            await self.journal.forget_accepted(finished)
        return len(finished)

    async def _run(self) -> None:
        while True:
            try:
                await self.prune_once()
            except Exception:  # ClickHouse down: entries stay, try again later
                log.warning("journal not pruned this round", exc_info=True)
            await asyncio.sleep(self.interval_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="journal-pruner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
