"""bench/broker_growth.py on a real embedded broker, with tiny sizes: it measures every
step it is asked for, and tansu 0.6.0 still refuses DeleteRecords (docs/performance.md
builds on that: a topic of the embedded broker cannot be trimmed, only recycled)."""

from __future__ import annotations

import argparse

import pytest

from bench import broker_growth


async def test_measures_each_step_and_tansu_refuses_delete_records(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argparse.Namespace(
        held=[0, 300], read=200, idle_seconds=0.3, records_per_batch=1, partitions=8
    )

    steps = await broker_growth.run(args)

    assert [s.batches for s in steps] == [0, 300 + 200]  # the first step's reads stay held
    # CPU is read in clock ticks: a run this small may measure 0, never less.
    assert all(min(s.read_us, s.produce_us, s.idle_percent) >= 0 for s in steps)
    delete_records = capsys.readouterr().out
    assert "DeleteRecords: refused" in delete_records, delete_records
    broker_growth.report(steps, args)
    table = capsys.readouterr().out.splitlines()
    assert table[-2].startswith("| 0 | 0 |") and table[-1].startswith("| 500 | 62 |")
