"""faust-streaming 0.15.3 waits a second at every worker start for tables that hookline
never declares late.

``TableManager.on_start`` (``faust/tables/manager.py``) sleeps 1.0 s before it
registers the app's tables and starts their recovery: a grace period for code that
adds a faust table after the app has started. The consumer subscribes only once that is
done (``Conductor``: "Waiting for tables to be registered..."), so every worker start
waited that second before it even joined its group: a fresh ``hookline dev``, a
replacement for a killed worker, and each of the embedded broker's recycles, where the
whole pipeline waits for the new workers (``hookline/embedded/dev.py``).

hookline's worker keeps no faust table (its state is in ``core/worker/store.py``) and
builds its app whole before starting it (``streams/app.py``), so there is nothing to
wait for: this runs the same steps without the sleep. A table added after the start
still fails loudly, as in faust ("Too late to add tables at this point"); only the
second in which one could still slip in is gone.
"""

from __future__ import annotations

from typing import Any

from faust.tables.manager import TableManager


async def _on_start_without_grace(self: TableManager) -> None:
    # faust's own steps, less ``await self.sleep(1.0)`` (pinned faust-streaming 0.15.3).
    if not self.should_stop:
        await self._update_channels()
        await self.recovery.start()


def apply() -> None:
    """Patch faust's table manager (once; later calls do nothing)."""
    if getattr(TableManager.on_start, "hookline_no_grace", False):
        return
    start: Any = _on_start_without_grace
    start.hookline_no_grace = True
    start.__wrapped__ = TableManager.on_start  # faust's, for the tests' pin check
    TableManager.on_start = start  # type: ignore[method-assign]
