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


def test_murmur2_and_the_partitioner_agree_with_the_java_client_port_of_aiokafka() -> None:
    """core.kafka.murmur2 is a faster copy: the same hash for every length (each tail of
    0-3 bytes), so keyed records land on the partitions any Kafka producer picks."""
    import random

    from aiokafka.partitioner import DefaultPartitioner
    from aiokafka.partitioner import murmur2 as reference

    from core.kafka import default_partitioner, murmur2, partition_for

    rng = random.Random(13)
    for length in range(0, 80):
        for _ in range(20):
            data = rng.randbytes(length)
            assert murmur2(data) == reference(data), data
    partitioner = DefaultPartitioner()
    for _ in range(2000):
        key = rng.randbytes(rng.randint(1, 40))
        count = rng.randint(1, 64)
        every = list(range(count))
        assert default_partitioner(key, every, every) == partitioner(key, every, every)
        assert partition_for(key, count) == partitioner(key, every, every)
    assert default_partitioner(None, [0, 1, 2], [2]) == 2  # no key: an available one
