"""Before and after a change: one benchmark run on two trees in turn, pair after pair.

    python bench/ab.py --before c97a1b8 --pairs 3 \\
        --figure 'both stages=worker, both stages:\\s+([\\d.,]+)' \\
        -- bench/worker_cpu.py --webhooks 2000 --rounds 3

    python bench/ab.py --before HEAD~1 --pairs 3 \\
        --figure 'workers CPU=CPU us per webhook:\\s+workers ([\\d,]+)' \\
        --figure 'plain loop CPU=loop ([\\d,]+)' \\
        -- bench/e2e.py --webhooks 10000 --backlog --workers 2

``--before`` (and ``--after``, the working tree unless given) is a commit, extracted
with ``git archive`` into a temporary directory; the benchmark runs there with this
Python and ``PYTHONPATH`` set to that tree, so each side runs its own code. The order
alternates (before-after, after-before, ...) so that a machine growing slower or faster
during the session weighs on both sides alike: on a shared 2-core machine a figure
drifts by 1.5x within an hour, more than most changes are worth. Each ``--figure NAME=REGEX``
is read from the benchmark's output (its first group; commas are dropped). Printed:
each pair's figures, their ratios after/before, and the median ratio of each figure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _beside_repo(side: str) -> Path:
    """A new empty directory beside this tree, for one side's tree."""
    return Path(tempfile.mkdtemp(prefix=f".hookline-ab-{side}-", dir=REPO.parent))


def extract(rev: str, into: Path) -> None:
    """The tree of ``rev`` written into ``into`` (an empty directory)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def run(tree: Path, command: list[str]) -> str:
    """The benchmark's output (stdout and stderr) when run in ``tree`` with its code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, *command], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"{command} failed in {tree} ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout + done.stderr


def figures(output: str, wanted: dict[str, re.Pattern[str]]) -> dict[str, float]:
    found = {}
    for name, pattern in wanted.items():
        match = pattern.search(output)
        if match is None:
            sys.exit(f"figure {name!r} ({pattern.pattern}) not in the output:\n{output[-2000:]}")
        found[name] = float(match.group(1).replace(",", ""))
    return found


def _shown(value: float) -> str:
    """A figure as benchmarks print it: whole past 100 (1,847), three digits below (0.43)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def parse_figure(text: str) -> tuple[str, re.Pattern[str]]:
    name, _, regex = text.partition("=")
    if not regex:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=REGEX")
    pattern = re.compile(regex)
    if pattern.groups < 1:
        raise argparse.ArgumentTypeError(f"{regex!r}: the figure must be its first group")
    return name, pattern


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", required=True, help="the commit before the change")
    parser.add_argument("--after", help="the commit after it (default: the working tree)")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--figure",
        type=parse_figure,
        action="append",
        required=True,
        help="NAME=REGEX: a figure read from the output (its first group)",
    )
    parser.add_argument("command", nargs="+", help="the benchmark and its arguments, after --")
    args = parser.parse_args()
    wanted = dict(args.figure)

    # A SIGTERM (``timeout``) ends the run through the ``finally`` below, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    # Beside this tree, as it is: the benchmarks find the samples in ../shared/samples.
    sides = {"before": _beside_repo("before"), "after": REPO}
    if args.after:
        sides["after"] = _beside_repo("after")
    try:
        extract(args.before, sides["before"])
        if args.after:
            extract(args.after, sides["after"])
        results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for pair in range(args.pairs):
            order = ["before", "after"] if pair % 2 == 0 else ["after", "before"]
            for side in order:
                print(f"pair {pair + 1}/{args.pairs}: {side} ...", file=sys.stderr, flush=True)
                results[side].append(figures(run(sides[side], args.command), wanted))
    finally:
        for path in sides.values():
            if path != REPO:
                shutil.rmtree(path, ignore_errors=True)

    print(f"{' '.join(args.command)}: before {args.before}, after {args.after or 'working tree'}")
    for name in wanted:
        ratios = [
            a[name] / b[name] for b, a in zip(results["before"], results["after"], strict=True)
        ]
        pairs = ", ".join(
            f"{_shown(b[name])} -> {_shown(a[name])}"
            for b, a in zip(results["before"], results["after"], strict=True)
        )
        print(
            f"{name}: {pairs}; after/before {', '.join(f'{r:.2f}' for r in ratios)}"
            f" (median {statistics.median(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
