"""The embedded journal forgets a webhook only once ClickHouse shows it fully processed
(HistoryStore.completed), and keeps up with any rate (JournalPruner): a real journal
file and a real ClickHouse, rows written as the history sink writes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.journal import Journal, load_key
from hookline.embedded.pruner import JournalPruner
from hookline.history.clickhouse import ClickHouse
from hookline.history.finished import RecentlyStored
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from schemas.history import CommandResult, WebhookHistory
from tests.integration.history.records import dead_letter

pytestmark = pytest.mark.clickhouse

ACCOUNT, INTEGRATION, PHONE = "acc_a1", "int_c1", "+5511960000001"
NOW = datetime.now(UTC)


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    opened = Journal(tmp_path / "front.sqlite", load_key(tmp_path)).open_for_writing()
    yield opened
    opened.close()


@pytest.fixture
def store(clickhouse: ClickHouse) -> HistoryStore:
    return HistoryStore(clickhouse)


def rid(n: int) -> str:
    return f"req-{n:04d}"


async def accept(journal: Journal, numbers: range) -> None:
    for n in numbers:
        await journal.record_accepted(
            "hookline.webhooks",
            INTEGRATION.encode(),
            b'{"n": %d}' % n,
            request_id=rid(n),
            account_id=ACCOUNT,
            integration_id=INTEGRATION,
        )


def webhook(n: int, status: str = "matched", commands: int = 2) -> WebhookHistory:
    return WebhookHistory(
        request_id=rid(n),
        account_id=ACCOUNT,
        integration_id=INTEGRATION,
        received_at=NOW,
        status=status,
        phone=PHONE if status == "matched" else None,
        command_ids=[f"{rid(n)}:{c}" for c in range(commands)] if status == "matched" else [],
    )


def result(n: int, command: int) -> CommandResult:
    return CommandResult(
        command_id=f"{rid(n)}:{command}",
        account_id=ACCOUNT,
        integration_id=INTEGRATION,
        request_id=rid(n),
        phone=PHONE,
        type="add_tag",
        status="applied",
    )


async def store_rows(store: HistoryStore, records: list[Any]) -> None:
    tables: dict[str, list[list[Any]]] = {}
    for record in records:
        table, row = rows_for(record)
        tables.setdefault(table, []).append(row)
    for table, rows in tables.items():
        await store.write(table, rows)


async def finish(store: HistoryStore, numbers: range) -> None:
    """Store what the pipeline stores for matched webhooks: the row and each result."""
    await store_rows(store, [r for n in numbers for r in (webhook(n), result(n, 0), result(n, 1))])


async def finished(journal: Journal, store: HistoryStore, count: int) -> None:
    """``count`` journaled webhooks, each fully processed in ClickHouse."""
    await accept(journal, range(count))
    await finish(store, range(count))


def pending(journal: Journal) -> list[str]:
    return [e.request_id for e in journal.accepted()]


async def test_finished_means_the_row_every_command_result_and_a_failed_ones_dead_letter(
    store: HistoryStore,
) -> None:
    """ClickHouse's answer, and the sink's notes of the same rows (what the pruner reads
    first) agree."""
    records = [
        webhook(1), result(1, 0),  # one of its two commands has no result yet
        webhook(2), result(2, 0), result(2, 1),
        webhook(3, "error"),  # failed, its dead letter not stored yet
        webhook(4, "error"), dead_letter(webhook(4, "error"), 4),
        webhook(5, "unmatched"),  # nothing to do: the row is all
    ]  # fmt: skip
    await store_rows(store, records)
    asked = [(rid(n), ACCOUNT, INTEGRATION) for n in range(1, 7)]  # 6: nothing stored
    recently = RecentlyStored()
    recently.stored(records)

    assert await store.completed(asked) == {rid(2), rid(4), rid(5)}
    assert recently.finished(a[0] for a in asked) == {rid(2), rid(4), rid(5)}


async def test_a_round_forgets_every_finished_entry_page_after_page(
    journal: Journal, store: HistoryStore
) -> None:
    """One page a round (2,000 entries every 5 s) capped forgetting at 400 webhooks/s."""
    await finished(journal, store, 35)
    pruner = JournalPruner(journal, store, page=10, min_age_seconds=0)

    assert await pruner.prune_round() == 35
    assert pending(journal) == []


async def test_an_entry_in_flight_when_passed_is_forgotten_later_while_new_ones_keep_coming(
    journal: Journal, store: HistoryStore
) -> None:
    await accept(journal, range(30))
    await finish(store, range(20))  # 20-29 still in flight
    pruner = JournalPruner(journal, store, page=8, min_age_seconds=0)

    assert await pruner.prune_round() == 20
    assert pending(journal) == [rid(n) for n in range(20, 30)]

    await finish(store, range(20, 30))
    for start in (30, 33):  # more webhooks arrive and finish before each round
        await accept(journal, range(start, start + 3))
        await finish(store, range(start, start + 3))
        await pruner.prune_round()
    assert pending(journal) == []


async def test_entries_stuck_behind_a_stopped_worker_cost_a_page_a_round_and_hide_nothing(
    journal: Journal, store: HistoryStore
) -> None:
    await accept(journal, range(30))
    await finish(store, range(20, 30))  # 0-19 wait for a worker that is down
    pruner = JournalPruner(journal, store, page=10, min_age_seconds=0)

    assert [await pruner.prune_round() for _ in range(3)] == [0, 0, 10]
    assert pending(journal) == [rid(n) for n in range(20)]


async def test_entries_younger_than_the_minimum_age_are_not_looked_at(
    journal: Journal, store: HistoryStore
) -> None:
    await finished(journal, store, 5)
    pruner = JournalPruner(journal, store, page=10, min_age_seconds=60)

    assert await pruner.prune_round() == 0
    assert len(pending(journal)) == 5


class CountedStore(HistoryStore):
    """The real store, counting the request ids it is asked about."""

    asked: int = 0

    async def completed(self, requests: list[tuple[str, str, str]]) -> set[str]:
        self.asked += len(requests)
        return await super().completed(requests)


async def test_entries_the_sink_noted_finished_are_forgotten_without_asking_clickhouse(
    journal: Journal, clickhouse: ClickHouse
) -> None:
    """Noted by the sink (the rows are not even in ClickHouse here): forgotten, and
    ClickHouse asked about nothing; an entry not noted finished is asked about only
    once it is ``ask_after_seconds`` old (stored before a restart, or stuck)."""
    store = CountedStore(clickhouse)
    recently = RecentlyStored()
    await accept(journal, range(10))
    recently.stored([r for n in range(6) for r in (webhook(n), result(n, 0), result(n, 1))])
    recently.stored([webhook(6)])  # 6: its results not stored yet
    await finish(store, range(8, 10))  # 8, 9: in ClickHouse, not noted (stored before)
    pruner = JournalPruner(
        journal, store, page=4, min_age_seconds=0, recently=recently, ask_after_seconds=60
    )

    assert await pruner.prune_round() == 6
    assert (store.asked, pending(journal)) == (0, [rid(n) for n in range(6, 10)])
    assert len(recently) == 1  # the forgotten ones' notes are dropped: 6 is left

    pruner.ask_after_seconds = 0
    assert await pruner.prune_round() == 2
    assert (store.asked, pending(journal)) == (4, [rid(6), rid(7)])


async def test_a_sweep_forgets_every_finished_entry_however_young_or_far(
    journal: Journal, clickhouse: ClickHouse
) -> None:
    """What ``hookline dev`` runs once its sink has stored everything at a stop: the
    rounds leave young entries for later and stop at a page with nothing finished; the
    sweep does neither (here 0-9 wait for a worker that is down, 10-29 are finished,
    and none is a second old)."""
    store = CountedStore(clickhouse)
    recently = RecentlyStored()
    await accept(journal, range(30))
    recently.stored([r for n in range(10, 30) for r in (webhook(n), result(n, 0), result(n, 1))])
    pruner = JournalPruner(journal, store, page=4, recently=recently)

    assert await pruner.prune_round() == 0  # younger than min_age_seconds
    assert await pruner.sweep() == 20
    assert (store.asked, pending(journal)) == (0, [rid(n) for n in range(10)])
