"""A benchmark's data directory goes when the run ends, a SIGTERM (``timeout``) included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.processes import REPOSITORY


def test_a_terminated_run_removes_its_data_directory(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from bench.workdir import work_dir
        with work_dir("hookline-bench-test-", keep=False) as path:
            (path / "dev.log").write_text("written by the run")
            print(path, flush=True)
            time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert run.stdout is not None
        path = Path(run.stdout.readline().strip())
        assert path.is_dir() and path.parent == tmp_path
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 128 + signal.SIGTERM
        assert not path.exists()
    finally:
        run.kill()
        run.wait()
        assert run.stdout is not None
        run.stdout.close()
