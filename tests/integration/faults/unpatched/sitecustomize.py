"""To measure faust without streams/faust_fix.py: with this directory on PYTHONPATH the
workers of tests/integration/faults/test_faust_backlog.py (the processes that have
BACKLOG_GROUP set) run unpatched faust; nothing else changes. From the repository:

    PYTHONPATH=tests/integration/faults/unpatched BACKLOG_STARTS=40 \\
        .venv/bin/pytest tests/integration/faults/test_faust_backlog.py -m kafka -s
"""

import os
import sys
from pathlib import Path

if os.environ.get("BACKLOG_GROUP"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    import streams.faust_fix

    streams.faust_fix.apply = lambda: None
    print("streams/faust_fix.py NOT applied (tests/integration/faults/unpatched)", file=sys.stderr)
