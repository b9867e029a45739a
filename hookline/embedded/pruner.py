"""Forgetting journaled webhooks once ClickHouse shows them fully processed.

A webhook stays in the journal (``core/journal.py``) until its
history row, a result for each of its commands and, if it failed, its dead letter
are stored in ClickHouse (:meth:`HistoryStore.completed`): only then can a stop
of the embedded broker no longer lose any of it. Runs in ``hookline dev`` (the
process that owns ClickHouse), a page of entries at a time, so an entry that stays
unfinished (ClickHouse down, a worker stopped) does not hide the others.

Each round walks the journal from its oldest entry, page after page, for as long as
pages come back full and something on them was finished, then starts from the oldest
again next round:
- it keeps up with any rate: one page a round (2,000 entries every 5 s) forgot at most
  400 webhooks a second, so at 578 a second the journal grew by about 180 entries a
  second (12,237 at the end of a 30,000-webhook run), every one of them to be published
  again by the next broker recycle or restart;
- an entry still in flight when a round passed it (older than ``min_age_seconds``, not
  yet stored) is looked at again the next round, also while webhooks keep coming;
- a page on which nothing was finished ends the round, and the next round goes on
  after it: entries stuck behind a stopped worker cost one page a round, as before,
  and finished ones after them are still reached.

What this process's history sink stored lately (:class:`RecentlyStored`) answers for
most entries without a query. ClickHouse is asked only about entries that answer does
not know finished once they are ``ask_after_seconds`` old: stored before a restart,
stuck, or noted so long ago that the note was dropped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from core.journal import Journal, JournaledWebhook
from hookline.history.finished import RecentlyStored
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
        recently: RecentlyStored | None = None,
        ask_after_seconds: float = 30.0,
    ) -> None:
        self.journal = journal
        self.store = store
        self.recently = recently
        self.ask_after_seconds = ask_after_seconds if recently is not None else 0.0
        self.interval_seconds = interval_seconds
        self.page = page
        self.min_age_seconds = min_age_seconds
        #: Last seq examined: pages walk the journal and wrap around at its end.
        self._after = 0
        self._task: asyncio.Task[None] | None = None

    async def prune_round(self) -> int:
        """Examine pages until the journal's end or a page with nothing finished;
        returns how many entries were forgotten."""
        before = time.time() - self.min_age_seconds
        forgotten = 0
        while True:
            entries = await asyncio.to_thread(
                self.journal.journaled_webhooks, self.page, before, self._after
            )
            if len(entries) < self.page:
                self._after = 0  # the end: the next round starts from the oldest again
            else:
                self._after = entries[-1].seq
            if not entries:
                return forgotten
            finished = await self._forget_finished(entries)
            forgotten += finished
            if not self._after or not finished:
                return forgotten

    async def sweep(self) -> int:
        """Forget every finished entry of the whole journal, however young, however many
        pages hold nothing finished: run by ``hookline dev`` once its history sink has
        stored all the broker held at a stop or a broker recycle, so that the next start
        publishes again only what was not finished (not the last rounds' worth of
        webhooks, every one processed again and recognised). Not while :meth:`start`'s
        rounds run."""
        forgotten, after = 0, 0
        read = self.journal.journaled_webhooks
        while True:
            entries = await asyncio.to_thread(read, self.page, None, after)
            if not entries:
                return forgotten
            after = entries[-1].seq
            forgotten += await self._forget_finished(entries)

    async def _forget_finished(self, entries: list[JournaledWebhook]) -> int:
        """Forget those of ``entries`` whose processing is entirely stored; how many."""
        done = await self._finished(entries)
        finished = [e.seq for e in entries if e.request_id in done]
        if finished:
            await self.journal.forget_accepted(finished)
            if self.recently is not None:
                self.recently.forget(done)
        return len(finished)

    async def _finished(self, entries: list[JournaledWebhook]) -> set[str]:
        """The request ids of ``entries`` whose processing is entirely stored."""
        known = self.recently.finished(e.request_id for e in entries) if self.recently else set()
        ask_before = time.time() - self.ask_after_seconds
        unknown = [
            (e.request_id, e.account_id, e.integration_id)
            for e in entries
            if e.request_id not in known and e.journaled_at < ask_before
        ]
        if not unknown:
            return known
        return known | await self.store.completed(unknown)

    async def _run(self) -> None:
        while True:
            try:
                await self.prune_round()
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
