"""Topic-level configs derived from the topic declarations (schemas/topics.py)."""

from core.kafka import MAX_MESSAGE_BYTES, topic_configs
from schemas.topics import ALL_TOPICS, COMMANDS, CONFIG, DEDUP, LEADS, WEBHOOKS

DAY_MS = 86_400_000


def test_streams_are_kept_a_week_and_state_by_compaction() -> None:
    assert topic_configs(WEBHOOKS)["retention.ms"] == str(7 * DAY_MS)
    assert topic_configs(COMMANDS)["retention.ms"] == str(7 * DAY_MS)
    assert "cleanup.policy" not in topic_configs(WEBHOOKS)
    for compacted in (CONFIG, LEADS):  # every record's latest value, forever
        assert topic_configs(compacted)["cleanup.policy"] == "compact"
        assert "retention.ms" not in topic_configs(compacted)


def test_dedup_marks_are_compacted_and_dropped_after_twice_the_default_window() -> None:
    configs = topic_configs(DEDUP)
    assert configs["cleanup.policy"] == "compact,delete"
    assert configs["retention.ms"] == str(2 * DAY_MS)


def test_every_topic_takes_max_size_bodies_and_replication_sets_min_insync() -> None:
    for spec in ALL_TOPICS:
        assert topic_configs(spec)["max.message.bytes"] == str(MAX_MESSAGE_BYTES)
        assert "min.insync.replicas" not in topic_configs(spec)
        assert topic_configs(spec, replication_factor=3)["min.insync.replicas"] == "2"
