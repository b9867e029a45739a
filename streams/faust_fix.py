"""A fix for a faust-streaming 0.15.3 race that makes a worker skip records for good.

Seen as: a worker started while its partitions hold a backlog (a replacement for a
killed worker, or any fresh start) never processes a contiguous range of offsets.
Reproduced by tests/integration/faults/test_faust_backlog.py; sequence read in faust's
``tables/recovery.py``, ``app/base.py`` and ``transport/consumer.py``:

1. After table recovery, ``Recovery.on_recovery_completed`` (an app with a faust
   table; ``Recovery._resume_streams`` for an app without one) calls
   ``consumer.resume_partitions(<stream partitions>)`` and only then awaits
   ``consumer.perform_seek()``. The flow is running: recovery itself resumed it to
   read the changelogs. The seek queues behind the consumer thread's fetch (measured
   5-230 ms), and meanwhile the fetcher returns the stream partitions' records from
   the committed offset; ``Consumer._drain_messages`` puts them in the agents' queues
   and raises ``consumer._read_offset``.
2. ``perform_seek`` sets the position and ``_read_offset`` back to the committed
   offset, but the drain goes on through its batch: ``_read_offset`` is raised again,
   and the jump is recorded as a "gap" (faust's mark for offsets with no record, which
   the commit may step over).
3. ``app.flow_control.resume()`` then clears every agent queue (``clear_on_resume``):
   the events delivered but not processed yet are dropped.
4. The records fetched again from the committed offset are dropped by the drain, as
   below ``_read_offset``. Nobody processes the dropped range: the commit stops at its
   first offset (the stuck commit of issue 8), or steps over it where the bogus gap
   covers it (silent loss).

Two wrappers (measured with that test: worker runs showing a hole, unpatched -> patched):

(b) ``on_recovery_completed`` and ``_resume_streams`` run with the flow stopped
    (``consumer.stop_flow()``, ``app.flow_control.suspend()``). ``resume_partitions``
    then only marks the partitions fetchable: the drain yields nothing while
    ``flow_active`` is false and waits in ``_wait_next_records`` for the flow, which the
    original method resumes after its seek. The first record delivered is the committed
    one, and nothing is queued when the queues are cleared. If the method returns early
    (another rebalance began), that rebalance's recovery resumes the flow.
    This is the fix for a worker with a faust table (hookline's worker until it moved
    its state off faust tables; the incidents of issue 8): fresh starts 7/20 -> 0/20,
    replacements after SIGKILL 4/5 -> 0/5, spare takeovers 3/5 -> 0/5. (a) alone does
    not help there (fresh starts 9/16, replacements 3/4): table recovery itself resumes
    the flow before ``on_recovery_completed``.
(a) ``App._on_partitions_revoked`` stops the flow only when the worker had partitions.
    Without a table, a fresh worker is safe (the fetcher starts only after
    ``_resume_streams``' seek: 0/20 fresh starts, 0/5 replacements unpatched), but a
    worker whose last generation gave it nothing (a spare taking over from a dead
    worker, more workers than partitions) keeps the flow and the fetcher running into
    the next generation: ``Consumer.on_partitions_assigned`` makes the new partitions
    active before ``App._on_partitions_assigned`` pauses them (agents can get events
    before their state is loaded, read offsets raised before the seek), and
    ``_resume_streams`` resumes them before its seek with the flow on (seen in the
    takeover logs). The drain sleeps 1 s between polls while it has no partition, so it
    seldom lands in those windows: no hole in 20 such takeovers unpatched (nor with (b)
    only). So the flow is stopped on every revocation, as faust does when there were
    partitions; recovery resumes it. With (a), wrapping ``_resume_streams`` is belt and
    braces: "streams resume with the flow stopped" holds whatever the last generation
    did.

Not everything: with a faust table, a replacement or a spare taking over still showed
a hole about once in 18 runs with both wrappers (BACKLOG_TABLE=1 in the test). The
worker keeps no faust table (its state is in ``core/worker/store.py``), and without one no
run showed a hole, patched or not, except through the takeover window (a).

Written for one faust version (checked at import): a new version needs the race
re-checked with that test, and this module removed or re-read against its code.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.tables.recovery import Recovery

#: The faust-streaming version these wrappers were written against (pinned in
#: pyproject.toml).
FAUST_VERSION = "0.15.3"

if faust.__version__ != FAUST_VERSION:
    raise RuntimeError(
        f"streams/faust_fix.py patches faust-streaming {FAUST_VERSION}, but "
        f"{faust.__version__} is installed: re-check the startup race against this version "
        "(tests/integration/faults/test_faust_backlog.py) before changing the pin"
    )


def _stop_flow(app: Any) -> None:
    app.consumer.stop_flow()
    app.flow_control.suspend()


Method = Callable[..., Awaitable[Any]]


def _marked(wrapper: Method) -> Method:
    wrapper.hookline_faust_fix = True  # type: ignore[attr-defined]
    return wrapper


def _stop_flow_first(method: Method) -> Method:
    """(b): a Recovery method that resumes stream partitions, run with the flow stopped."""

    @functools.wraps(method)
    async def wrapper(self: Recovery, *args: Any, **kwargs: Any) -> Any:
        _stop_flow(self.app)
        return await method(self, *args, **kwargs)

    return _marked(wrapper)


def _stop_flow_on_every_revocation(method: Method) -> Method:
    """(a): faust stops the flow itself when the worker had partitions."""

    @functools.wraps(method)
    async def wrapper(self: faust.App, revoked: Any) -> Any:
        if not self.should_stop and not self.consumer.assignment():
            _stop_flow(self)
        return await method(self, revoked)

    return _marked(wrapper)


def apply() -> None:
    """Patch faust's classes (once; later calls do nothing)."""
    if getattr(faust.App._on_partitions_revoked, "hookline_faust_fix", False):
        return
    faust.App._on_partitions_revoked = _stop_flow_on_every_revocation(  # type: ignore[method-assign]
        faust.App._on_partitions_revoked
    )
    Recovery.on_recovery_completed = _stop_flow_first(Recovery.on_recovery_completed)  # type: ignore[method-assign]
    Recovery._resume_streams = _stop_flow_first(Recovery._resume_streams)  # type: ignore[method-assign]
