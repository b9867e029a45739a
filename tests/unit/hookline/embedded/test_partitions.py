"""The embedded broker's partitions per topic: a partition per worker for a new data
directory, the declared counts for one journaled before the record existed, and never a
change under a data directory afterwards."""

from __future__ import annotations

import json
import logging

import pytest

from core.journal import FRONT_FILE, worker_file
from hookline.embedded.partitions import FILE, declared, topic_partitions
from schemas.topics import ALL_TOPICS, COMMANDS, CONFIG, HISTORY, LEADS, WEBHOOKS


def test_a_new_data_directory_gets_a_partition_per_worker(tmp_path) -> None:
    partitions = topic_partitions(tmp_path, workers=2)
    assert partitions[WEBHOOKS.name] == partitions[COMMANDS.name] == 2
    assert partitions[LEADS.name] == partitions[COMMANDS.name]  # a store beside its source
    assert partitions[HISTORY.name] == 2 and partitions[CONFIG.name] == 1
    assert set(partitions) == {spec.name for spec in ALL_TOPICS}
    assert json.loads((tmp_path / FILE).read_text()) == partitions


def test_never_more_than_declared(tmp_path) -> None:
    assert topic_partitions(tmp_path, workers=8) == declared()
    assert declared()[HISTORY.name] == HISTORY.partitions < 8


@pytest.mark.parametrize("journal", [FRONT_FILE, worker_file(0)])
def test_a_directory_journaled_before_the_record_keeps_the_declared_counts(
    tmp_path, journal
) -> None:
    """Its journals hold state under partitions of the declared counts."""
    (tmp_path / journal).write_bytes(b"")
    assert topic_partitions(tmp_path, workers=2) == declared()
    assert topic_partitions(tmp_path, workers=1) == declared()  # recorded


def test_the_count_never_changes_with_the_workers(tmp_path, caplog) -> None:
    first = topic_partitions(tmp_path, workers=2)
    (tmp_path / FRONT_FILE).write_bytes(b"")
    assert topic_partitions(tmp_path, workers=1) == first
    with caplog.at_level(logging.WARNING):
        assert topic_partitions(tmp_path, workers=4) == first
    assert "more workers than partitions" in caplog.text


def test_a_topic_declared_since_gets_a_partition_per_worker(tmp_path) -> None:
    recorded = {name: count for name, count in declared().items() if name != COMMANDS.name}
    (tmp_path / FILE).write_text(json.dumps(recorded))
    partitions = topic_partitions(tmp_path, workers=2)
    assert partitions[COMMANDS.name] == 2 and partitions[WEBHOOKS.name] == WEBHOOKS.partitions


@pytest.mark.parametrize("content", ["", "{", "[]", '{"hookline.webhooks": 0}', '{"a": true}'])
def test_an_unreadable_record_stops_the_start(tmp_path, content) -> None:
    """Guessing would risk looking for a lead's state in another partition."""
    (tmp_path / FILE).write_text(content)
    with pytest.raises(SystemExit, match="restore it from a backup"):
        topic_partitions(tmp_path, workers=2)
