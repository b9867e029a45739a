"""``hookline dev``: the whole pipeline on one machine (embedded broker and ClickHouse,
gateway, API, worker and history sink, supervised: ``hookline/embedded/dev.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from core.logs import setup_logging
from core.loop import run
from core.settings import Settings


@click.command()
@click.option("--port", default=8080, show_default=True, help="Front port for /api and /hooks.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    show_default=True,
    help="ClickHouse data and logs live here; survives restarts.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 8),
    default=None,
    help=(
        "Worker processes, about a core each under load [default: HOOKLINE_DEV_WORKERS or 2]."
        " A new data directory's topics get as many partitions, kept for good: more"
        " workers on it later stay idle."
    ),
)
def dev(port: int, host: str, data_dir: Path, workers: int | None) -> None:
    """Run the whole pipeline on this machine (embedded broker and ClickHouse).

    \b
    Example:
      HOOKLINE_ADMIN_TOKEN=change-me hookline dev --port 8080 --data-dir ./data
    """
    from hookline.embedded.dev import RECYCLE, run_dev
    from hookline.embedded.listener import hand_over, listening_sockets

    settings = Settings(public_url=f"http://{host}:{port}")
    if workers is not None:
        settings = settings.model_copy(update={"dev_workers": workers})
    setup_logging(settings.log_level)
    sockets = listening_sockets(host, port)  # those of the run before a recycle, if any
    # 1 when the embedded broker died (its memory is gone): an outer supervisor restarts us.
    status = run(run_dev(settings, data_dir.resolve(), host, sockets), settings.event_loop)
    if status == RECYCLE:  # the broker outgrew its memory: start again, same process
        hand_over(sockets)  # still listening: what arrives meanwhile waits, not refused
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "hookline.cli", *sys.argv[1:]])  # noqa: S606 - this same program again
    for sock in sockets:
        sock.close()
    raise SystemExit(status)
