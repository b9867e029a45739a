"""The embedded journal: order, latest-value state, encryption at rest, key file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from core.journal import (
    FORGET_STATE,
    FRONT_FILE,
    KEY_FILE,
    Journal,
    MergedJournals,
    latest_states,
    load_key,
    worker_file,
    worker_files,
)
from core.settings import Settings


@pytest.fixture
async def journal(tmp_path: Path):
    opened = Journal(tmp_path / "front.sqlite", load_key(tmp_path)).open_for_writing()
    yield opened
    opened.close()


async def _accept(journal: Journal, n: int) -> None:
    await journal.record_accepted(
        "hookline.webhooks",
        b"int_1",
        b'{"body": "hottok=segredo-%d"}' % n,
        request_id=f"r{n}",
        account_id="acc_1",
        integration_id="int_1",
    )


async def test_accepted_webhooks_come_back_in_order_until_forgotten(journal: Journal) -> None:
    for n in range(5):
        await _accept(journal, n)
    entries = journal.accepted()
    assert [e.request_id for e in entries] == [f"r{n}" for n in range(5)]
    assert entries[2].value == b'{"body": "hottok=segredo-2"}' and entries[2].key == b"int_1"
    await journal.forget_accepted([entries[0].seq, entries[3].seq])
    assert [e.request_id for e in journal.accepted()] == ["r1", "r2", "r4"]
    page = journal.accepted(limit=1, after_seq=entries[1].seq)
    assert [e.request_id for e in page] == ["r2"]


async def test_the_pruner_reads_entries_without_their_envelopes(
    journal: Journal, tmp_path: Path
) -> None:
    """The pruner's page: the same entries, paged and cut off the same way, neither read
    nor decrypted (a journal opened with another key reads them too)."""
    for n in range(5):
        await _accept(journal, n)
    entries = journal.accepted()
    await journal.forget_accepted([entries[3].seq])
    stranger = Journal(journal.path, os.urandom(32))
    light = stranger.journaled_webhooks()
    assert [
        (e.seq, e.request_id, e.account_id, e.integration_id, e.journaled_at) for e in light
    ] == [
        (e.seq, e.request_id, e.account_id, e.integration_id, e.journaled_at)
        for e in journal.accepted()
    ]
    assert not hasattr(light[0], "value")
    page = stranger.journaled_webhooks(limit=2, after_seq=entries[0].seq)
    assert [e.request_id for e in page] == ["r1", "r2"]
    assert stranger.journaled_webhooks(before=entries[2].journaled_at) == light[:2]
    assert Journal(tmp_path / "absent.sqlite", os.urandom(32)).journaled_webhooks() == []


async def test_a_journal_written_before_the_envelope_went_last_is_read(tmp_path: Path) -> None:
    """Files written before stop 33 hold the envelope before the ids: read by name."""
    path = tmp_path / "front.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as old:
        old.execute(
            "CREATE TABLE accepted (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
            " key BLOB, value BLOB NOT NULL, request_id TEXT NOT NULL, account_id TEXT NOT"
            " NULL, integration_id TEXT NOT NULL, journaled_at REAL NOT NULL)"
        )
    journal = Journal(path, load_key(tmp_path)).open_for_writing()
    try:
        await _accept(journal, 1)
        [whole], [light] = journal.accepted(), journal.journaled_webhooks()
        assert (whole.request_id, whole.value) == ("r1", b'{"body": "hottok=segredo-1"}')
        assert (light.request_id, light.integration_id) == ("r1", "int_1")
    finally:
        journal.close()


async def test_state_keeps_the_latest_value_per_key_config_first(journal: Journal) -> None:
    await journal.put_state("hookline.leads", 3, "acc_1:+55", b"v1", 1000)
    await journal.put_state("hookline.leads", 3, "acc_1:+55", b"v2", 2000)
    await journal.put_state("hookline.config", 0, "account:acc_1", b"cfg", 500)
    await journal.put_state("hookline.dedup", 1, "int_1:d", b"mark")
    await journal.put_state("hookline.dedup", 1, "int_1:d", None)
    states = [
        (s.topic, s.partition, s.key, s.value, s.timestamp_ms) for s in latest_states([journal])
    ]
    assert states == [
        ("hookline.config", 0, "account:acc_1", b"cfg", 500),
        ("hookline.dedup", 1, "int_1:d", None, None),  # deleted: kept as a tombstone
        ("hookline.leads", 3, "acc_1:+55", b"v2", 2000),
    ]


async def test_a_batch_of_state_writes_applies_in_order(journal: Journal) -> None:
    """A worker's batch: queued at once, one future for all, the last write of a key wins."""
    writes = [(2, "a", b"1"), (2, "b", b"1"), (2, "a", b"2"), (3, "c", b"1"), (2, "b", None)]
    await journal.put_states("hookline.leads", writes, 1500)
    states = [(s.partition, s.key, s.value, s.timestamp_ms) for s in latest_states([journal])]
    assert states == [(2, "a", b"2", 1500), (2, "b", None, 1500), (3, "c", b"1", 1500)]


async def test_an_empty_batch_of_state_writes_is_answered_at_once(journal: Journal) -> None:
    done = journal.put_states("hookline.leads", [], 1500)
    assert done.done()
    await done
    assert list(latest_states([journal])) == []


async def two_workers_write(
    directory: Path, writes: list[tuple[int, str, int, str, bytes | None]]
) -> bytes:
    """``(worker, topic, partition, key, value)`` journaled in order by worker 0 or 1;
    the journals' key."""
    key = load_key(directory)
    workers = [Journal(directory / worker_file(i), key).open_for_writing() for i in (0, 1)]
    try:
        for worker, topic, partition, state_key, value in writes:
            await workers[worker].put_state(topic, partition, state_key, value)
    finally:
        for journal in workers:
            journal.close()
    return key


async def test_expired_entries_of_one_topic_are_forgotten_through_an_index(
    journal: Journal,
) -> None:
    """A worker forgets its expired dedup marks every minute: by an index on the time
    written, not a scan of a day of marks (about 3 s for 4 million, the writer stalled)."""
    await journal.put_states("hookline.dedup", [(0, "int_1:a", b"a"), (1, "int_1:b", b"b")])
    await journal.put_state("hookline.leads", 0, "acc_1:+551", b"lead")
    moment = time.time()
    await asyncio.sleep(0.01)
    await journal.put_state("hookline.dedup", 0, "int_1:c", b"c")
    await journal.forget_state_before("hookline.dedup", moment)
    assert [(s.topic, s.key) for s in latest_states([journal])] == [
        ("hookline.dedup", "int_1:c"),
        ("hookline.leads", "acc_1:+551"),
    ]
    with contextlib.closing(sqlite3.connect(journal.path)) as db:
        plan = db.execute(f"EXPLAIN QUERY PLAN {FORGET_STATE}", ("hookline.dedup", 0)).fetchall()
    assert "USING INDEX state_written (topic=? AND updated_at<?)" in str(plan), plan


async def test_several_journals_merge_to_the_value_written_last_tombstones_included(
    tmp_path: Path,
) -> None:
    """Two worker processes: partitions moved from the first to the second (a
    rebalance), which wrote newer values and deleted a key the first still holds."""
    key = await two_workers_write(
        tmp_path,
        [
            (0, "hookline.leads", 3, "acc_1:+551", b"old"),
            (0, "hookline.dedup", 1, "int_1:d", b"mark"),
            (0, "hookline.leads", 4, "acc_1:+552", b"only-first"),
            (1, "hookline.leads", 3, "acc_1:+551", b"new"),
            (1, "hookline.dedup", 1, "int_1:d", None),
            (1, "hookline.leads", 5, "acc_1:+553", b"only-second"),
            # Back to the first worker after another rebalance: newest again.
            (0, "hookline.leads", 5, "acc_1:+553", b"back-to-first"),
        ],
    )
    assert worker_files(tmp_path) == [tmp_path / "worker-1.sqlite", tmp_path / "worker.sqlite"]
    merged = {
        (s.topic, s.partition, s.key): s.value
        for s in latest_states([Journal(path, key) for path in worker_files(tmp_path)])
    }
    assert merged == {
        ("hookline.leads", 3, "acc_1:+551"): b"new",
        ("hookline.dedup", 1, "int_1:d"): None,
        ("hookline.leads", 4, "acc_1:+552"): b"only-first",
        ("hookline.leads", 5, "acc_1:+553"): b"back-to-first",
    }


async def test_keys_are_read_across_journals_and_topics_left_out_of_the_merge(
    tmp_path: Path,
) -> None:
    """A worker reads its dedup marks key by key in every worker's journal (the value
    journaled last wins); the restore leaves those topics out."""
    key = await two_workers_write(
        tmp_path,
        [
            (0, "hookline.dedup", 1, "int_1:a", b"a-old"),
            (0, "hookline.dedup", 2, "int_1:b", b"other partition"),
            (1, "hookline.dedup", 1, "int_1:a", b"a-new"),
            (0, "hookline.dedup", 1, "int_1:c", b"c-old"),
            (1, "hookline.dedup", 1, "int_1:c", None),
            (1, "hookline.leads", 1, "acc_1:+551", b"lead"),
            (1, "hookline.config", 0, "channel:acc_1", b"config"),
        ],
    )
    (tmp_path / worker_file(2)).touch()  # a worker starting: its file, no tables yet

    def journals() -> list[Journal]:
        return [Journal(path, key) for path in worker_files(tmp_path)]

    merged = MergedJournals(journals)
    try:
        wanted = ["int_1:a", "int_1:b", "int_1:c", "int_1:never", "int_1:a"]
        assert merged.get_many("hookline.dedup", 1, wanted) == {
            "int_1:a": b"a-new",
            "int_1:c": None,
        }
        many = [f"int_1:k{n}" for n in range(250)]  # more than one query's worth
        assert merged.get_many("hookline.dedup", 1, [*many, "int_1:a"]) == {"int_1:a": b"a-new"}
        # A worker that started since: attached at the next refresh.
        third = Journal(tmp_path / worker_file(2), key).open_for_writing()
        try:
            await third.put_state("hookline.dedup", 1, "int_1:a", b"a-third")
        finally:
            third.close()
        assert merged.get_many("hookline.dedup", 1, ["int_1:a"]) == {"int_1:a": b"a-new"}
        merged.refresh()
        assert merged.get_many("hookline.dedup", 1, ["int_1:a"]) == {"int_1:a": b"a-third"}
    finally:
        merged.close()
    rest = latest_states(journals(), leave_out={"hookline.dedup", "hookline.history"})
    assert [(s.topic, s.key) for s in rest] == [
        ("hookline.config", "channel:acc_1"),
        ("hookline.leads", "acc_1:+551"),
    ]


async def test_the_front_and_the_most_workers_hookline_dev_runs_merge_in_key_order(
    tmp_path: Path,
) -> None:
    """Merged by SQLite from the files attached together (it attaches 10 at most)."""
    key = load_key(tmp_path)
    workers = next(m.le for m in Settings.model_fields["dev_workers"].metadata if hasattr(m, "le"))
    paths = [tmp_path / FRONT_FILE, *(tmp_path / worker_file(i) for i in range(workers))]
    for index, path in enumerate(paths):
        journal = Journal(path, key).open_for_writing()
        try:
            await journal.put_state("hookline.leads", 0, f"k{index % 3}", b"v%d" % index, index)
            await journal.put_state("hookline.config", 0, f"c{index}", b"c", index)
        finally:
            journal.close()
    merged = [(s.topic, s.key, s.value) for s in latest_states([Journal(p, key) for p in paths])]
    last = {f"k{i % 3}": b"v%d" % i for i in range(len(paths))}
    assert merged == [
        *(("hookline.config", f"c{i}", b"c") for i in sorted(range(len(paths)), key=str)),
        *(("hookline.leads", k, last[k]) for k in sorted(last)),
    ]


async def test_nothing_is_on_disk_in_clear_and_another_key_reads_nothing(
    journal: Journal, tmp_path: Path
) -> None:
    await _accept(journal, 7)
    await journal.put_state("hookline.config", 0, "integration:int_1", b'{"secret": "s3cr3t-x"}')
    journal.close()
    files = tmp_path.glob("front.sqlite*")  # noqa: ASYNC240 - a test reading its own files
    raw = b"".join(p.read_bytes() for p in files)
    assert b"segredo-7" not in raw and b"s3cr3t-x" not in raw
    stranger = Journal(journal.path, os.urandom(32))
    with pytest.raises(InvalidTag):
        stranger.accepted()


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_key(tmp_path)
    assert load_key(tmp_path) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    configured = load_key(tmp_path, "A" * 43 + "=")
    assert configured != first and len(configured) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        load_key(tmp_path, "c2hvcnQ=")


async def test_concurrent_writes_are_grouped_and_all_kept(journal: Journal) -> None:
    import asyncio

    await asyncio.gather(*(_accept(journal, n) for n in range(300)))
    assert len(journal.accepted()) == 300


async def test_writes_of_one_loop_turn_cross_to_the_writer_together(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One hand-over (and one wake-up of the loop) per turn, not per write; in order, so
    the value written last wins; an awaiter cancelled leaves the others' writes alone."""
    import asyncio

    writer = journal._writer
    assert writer is not None
    handed: list[int] = []
    hand_over = writer._hand_over

    def counted() -> None:
        if writer._group is not None:
            handed.append(len(writer._group.statements))
        hand_over()

    monkeypatch.setattr(writer, "_hand_over", counted)
    writes = [
        asyncio.ensure_future(journal.put_state("hookline.leads", 0, "k", b"v%d" % n, n))
        for n in range(50)
    ]
    await asyncio.sleep(0)  # the coroutines run their first step: every write submitted
    writes[7].cancel()
    await asyncio.gather(*writes, return_exceptions=True)
    assert handed == [50]
    assert not any(w.exception() for w in writes if not w.cancelled())
    [state] = latest_states([journal])
    assert (state.value, state.timestamp_ms) == (b"v49", 49)
    await journal.put_state("hookline.leads", 0, "k", b"later", 50)
    assert handed == [50, 1]
