"""bench/ab.py runs a benchmark on the commit before (a tree of its own, beside this
one) and on the working tree, reads its figures, and leaves nothing behind."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import REPOSITORY

#: Prints 1 when run in this tree, 2 in another: which side ran where.
SIDE = "import os; print('figure', 1 if os.getcwd() == {here!r} else 2)"


def test_each_side_runs_in_its_tree_and_the_ratios_are_printed() -> None:
    before = {p.name for p in REPOSITORY.parent.iterdir()}
    done = subprocess.run(
        [
            sys.executable,
            "bench/ab.py",
            "--before",
            "HEAD",
            "--pairs",
            "2",
            "--figure",
            r"side=figure (\d+)",
            "--",
            "-c",
            SIDE.format(here=str(REPOSITORY)),
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "side: 2 -> 1, 2 -> 1; after/before 0.50, 0.50 (median 0.50)" in done.stdout
    assert "pair 2/2: after" in done.stderr
    assert {p.name for p in REPOSITORY.parent.iterdir()} == before


def test_a_figure_missing_from_the_output_is_an_error() -> None:
    absent = ["--figure", r"x=absent (\d+)", "--", "-c", "print('nothing')"]
    done = subprocess.run(
        [sys.executable, "bench/ab.py", "--before", "HEAD", "--pairs", "1", *absent],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "figure 'x'" in done.stderr
