"""What the history sink stored lately, as the journal's pruner reads it: finished means
what ``HistoryStore.completed`` means (the same cases agree with ClickHouse in
``tests/integration/history/test_journal_pruner.py``), in any order the rows come, and
the notes are bounded in time."""

from __future__ import annotations

from hookline.history.finished import RecentlyStored
from schemas.history import CommandResult, MessageSent, WebhookHistory
from schemas.topics import HISTORY
from schemas.types import utcnow
from tests.integration.history.records import dead_letter


def webhook(request_id: str, status: str = "matched", commands: int = 2) -> WebhookHistory:
    return WebhookHistory(
        request_id=request_id,
        account_id="acc_1",
        integration_id="int_1",
        received_at=utcnow(),
        status=status,
        command_ids=[f"{request_id}:{n}" for n in range(commands)],
    )


def result(request_id: str, n: int) -> CommandResult:
    return CommandResult(
        command_id=f"{request_id}:{n}",
        account_id="acc_1",
        integration_id="int_1",
        request_id=request_id,
        phone="+5511999990001",
        type="add_tag",
        status="applied",
    )


def sent() -> MessageSent:
    return MessageSent(
        command_id="c1",
        account_id="acc_1",
        phone="+5511999990001",
        channel="recording",
        message_type="text",
        content="Oi",
    )


def test_finished_is_the_row_every_result_and_a_failed_ones_dead_letter() -> None:
    recently = RecentlyStored()
    failed = webhook("r4", "error", commands=0)
    recently.stored(
        [
            webhook("r1"), result("r1", 0),  # one of its two commands has no result yet
            webhook("r2"), result("r2", 0), result("r2", 1),
            webhook("r3", "error", commands=0),  # failed, no dead letter yet
            failed, dead_letter(failed, 4),
            webhook("r5", "unmatched", commands=0),
            result("r6", 0),  # a result whose webhook row is not stored yet
        ]
    )  # fmt: skip
    asked = [f"r{n}" for n in range(1, 8)]  # r7: nothing stored
    assert recently.finished(asked) == {"r2", "r4", "r5"}


def test_rows_in_any_order_and_in_several_batches() -> None:
    recently = RecentlyStored()
    failed = webhook("r2", "error", commands=0)
    recently.stored([result("r1", 1), dead_letter(failed, 2)])
    assert recently.finished(["r1", "r2"]) == set()
    recently.stored([result("r1", 0), failed])
    assert recently.finished(["r1", "r2"]) == {"r2"}
    recently.stored([webhook("r1")])
    assert recently.finished(["r1", "r2"]) == {"r1", "r2"}


def test_the_latest_webhook_row_wins_as_in_clickhouse() -> None:
    """A dead letter replayed after its mapping was fixed: the same request id, now
    matched with commands, is not finished until their results are stored."""
    recently = RecentlyStored()
    recently.stored([webhook("r1", "unmatched", commands=0)])
    assert recently.finished(["r1"]) == {"r1"}
    recently.stored([webhook("r1")])
    assert recently.finished(["r1"]) == set()
    recently.stored([result("r1", 0), result("r1", 1)])
    assert recently.finished(["r1"]) == {"r1"}


def test_other_records_are_ignored() -> None:
    recently = RecentlyStored()
    message = sent()
    recently.stored([message])
    assert len(recently) == 0


def test_notes_are_dropped_once_forgotten_or_old() -> None:
    now = [1000.0]
    recently = RecentlyStored(keep_seconds=60, clock=lambda: now[0])
    recently.stored([webhook("r1"), result("r1", 0)])
    now[0] += 30
    recently.stored([webhook("r2", "unmatched", commands=0), webhook("r3", "unmatched", 0)])
    recently.forget(["r3", "unknown"])
    assert len(recently) == 2
    now[0] += 31  # r1, first seen 61 s ago, is dropped: the pruner asks ClickHouse
    recently.stored([result("r1", 1)])
    assert recently.finished(["r1", "r2"]) == {"r2"}
    now[0] += 60
    recently.stored([])
    assert len(recently) == 0


def test_a_note_read_from_a_records_json_counts_as_the_record() -> None:
    """Records ClickHouse reads itself are never decoded by the sink: their notes are
    read from the JSON as written on hookline.history, and mean what the records do."""
    from_json, from_records = RecentlyStored(), RecentlyStored()
    records = [webhook("r1"), result("r1", 0), result("r1", 1), webhook("r2"), result("r2", 0)]
    notes = [from_json.note(r.kind, HISTORY.encode(r)) for r in records]
    from_json.stored(notes)
    from_records.stored(records)
    assert from_json.finished(["r1", "r2"]) == from_records.finished(["r1", "r2"]) == {"r1"}
    assert notes[0].command_ids == ["r1:0", "r1:1"] and notes[0].status == "matched"


def test_no_note_of_a_kind_not_noted_or_of_json_that_does_not_parse() -> None:
    message = sent()
    assert RecentlyStored.note("message", HISTORY.encode(message)) is None
    assert RecentlyStored.note("webhook", b'{"kind":"webhook","request_id":') is None
    assert RecentlyStored.note("webhook", b'{"kind":"webhook"}') is None  # fields missing
