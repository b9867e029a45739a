"""core/loop.py: free memory handed back to the system after a burst."""

from __future__ import annotations

import textwrap

from tests.processes import python_output


def test_a_bursts_freed_memory_leaves_the_process() -> None:
    """A burst in a thread (as faust's consumer thread fetches a backlog) with a few
    survivors: glibc keeps the freed heap (RSS stays at the peak) until it is trimmed."""
    script = textwrap.dedent(
        """
        import threading
        from core.loop import release_free_memory

        def rss_mib():
            status = open("/proc/self/status").read()
            return int(status.split("VmRSS:")[1].split()[0]) // 1024

        def burst():
            junk = [bytes(1000 + i % 7) for i in range(200_000)]
            survivors = [bytes(1000) for _ in range(4_000)]
            del junk
            return survivors

        kept = []
        thread = threading.Thread(target=lambda: kept.append(burst()))
        thread.start()
        thread.join()
        peak = rss_mib()
        release_free_memory()
        print(peak, rss_mib())
        """
    )
    out = python_output(script)
    peak, trimmed = map(int, out.split())
    assert peak > 150, f"the burst did not stay in the heap ({peak} MiB): the test proves nothing"
    assert trimmed < peak / 2, f"{peak} -> {trimmed} MiB"
