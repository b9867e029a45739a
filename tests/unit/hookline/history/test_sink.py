from __future__ import annotations

from aiokafka import ConsumerRecord

from hookline.history.sink import latest_per_key
from schemas.topics import LEADS


def record(offset: int, key: bytes, value: bytes | None) -> ConsumerRecord:
    return ConsumerRecord(LEADS.name, 0, offset, 0, 0, key, value, None, 0, 0, [])


def test_a_fetch_of_a_compacted_topic_keeps_the_last_record_of_each_key_in_order() -> None:
    records = [
        record(0, b"acc:+1", b"v1"),
        record(1, b"acc:+2", b"w1"),
        record(2, b"acc:+1", b"v2"),
        record(3, b"acc:+3", b"x1"),
        record(4, b"acc:+2", None),  # a tombstone last: what compaction keeps
        record(5, b"acc:+1", b"v3"),
    ]
    assert [r.offset for r in latest_per_key(records)] == [3, 4, 5]


def test_a_fetch_without_repeated_keys_is_kept_whole() -> None:
    records = [record(i, f"acc:+{i}".encode(), b"v") for i in range(3)]
    assert latest_per_key(records) is records
    assert latest_per_key([]) == []
