"""The worker store's values on local disk: reads, writes, deletions, write order for
pruning, partitions apart, and memory bounded by the page cache whatever is stored."""

from __future__ import annotations

import textwrap

from core.worker.disk import CACHE_KIB, KEYS_PER_QUERY, PENDING_BYTES, PENDING_ROWS, DiskValues
from tests.processes import python_output


def one(values: DiskValues, partition: int, key: str) -> bytes | None:
    return values.get_many(partition, [key]).get(key)


def test_values_are_read_written_and_deleted_per_partition() -> None:
    values = DiskValues()
    values.put_many(0, [("a", b"1")])
    values.put_many(1, [("a", b"other partition")])
    values.put_many(0, [("a", b"2")])
    assert one(values, 0, "a") == b"2"
    assert one(values, 1, "a") == b"other partition"
    assert one(values, 0, "missing") is None
    values.put_many(0, [("a", None)])
    assert one(values, 0, "a") is None
    values.put_many(0, [("a", None)])  # deleting what is not there is no error
    values.drop(1)
    assert one(values, 1, "a") is None and values.count(1) == 0
    values.close()


def test_many_keys_are_read_at_once_in_chunks_missing_ones_left_out() -> None:
    values = DiskValues()
    keys = [f"k{n}" for n in range(2 * KEYS_PER_QUERY + 7)]  # three queries
    values.put_many(0, [(key, key.encode()) for key in keys[::2]])
    values.put_many(1, [("k1", b"other partition")])
    found = values.get_many(0, [*keys, "k0", "never"])  # a key twice, one never written
    assert found == {key: key.encode() for key in keys[::2]}
    assert values.get_many(1, ["k0", "k1"]) == {"k1": b"other partition"}
    assert values.get_many(0, []) == {}
    values.close()


def test_a_loaded_batch_applies_in_order_deletions_included() -> None:
    values = DiskValues()
    values.put_many(0, [("a", b"1"), ("b", b"1"), ("a", None), ("b", b"2"), ("c", b"1")])
    assert [one(values, 0, k) for k in "abc"] == [None, b"2", b"1"]
    assert values.count(0) == 2
    # Runs of deletions and writes, a key written again after its deletion.
    values.put_many(0, [("c", None), ("b", None), ("c", b"2"), ("d", b"1"), ("d", None)])
    assert [one(values, 0, k) for k in "abcd"] == [None, None, b"2", None]


def test_writes_held_for_later_are_seen_by_every_read() -> None:
    values = DiskValues()
    values.put_many(0, [("kept", b"1")])
    values.put_soon(0, [("a", b"1"), ("kept", None), ("b", b"1")])
    assert one(values, 0, "a") == b"1" and one(values, 0, "kept") is None
    values.put_soon(0, [("a", b"2")])
    assert values.get_many(0, ["a", "b", "kept"]) == {"a": b"2", "b": b"1"}
    values.put_soon(1, [("c", b"1")])
    assert values.count(1) == 1
    values.put_soon(1, [("c", None)])
    values.drop(1)  # a held write of a dropped partition does not come back
    assert one(values, 1, "c") is None and values.count(1) == 0
    values.close()


def test_held_writes_keep_the_write_order_and_stay_bounded() -> None:
    values = DiskValues()
    values.put_soon(0, [("x", b"old"), ("y", b"old")])
    values.put_soon(0, [("x", b"new")])  # rewritten: now the newest write
    values.put_soon(0, [("z", b"old")])
    assert values.prune_oldest(0, lambda value: value == b"new") == 1  # "y", then "x" kept
    assert values.get_many(0, "xyz") == {"x": b"new", "z": b"old"}
    values.put_soon(0, [(f"k{n}", b"v") for n in range(PENDING_ROWS)])
    assert values._pending == {}  # written once that many are held
    big = b"x" * (PENDING_BYTES // 4)
    for _ in range(8):  # the same key rewritten: its old value no longer counts
        values.put_soon(0, [("big", big)])
    assert values._pending == {(0, "big"): big}
    values.put_soon(0, [(f"big{n}", big) for n in range(3)])
    assert values._pending == {}  # written once that many bytes are held
    assert values.count(0) == 2 + PENDING_ROWS + 4
    values.close()


def test_prune_drops_from_the_oldest_write_and_stops_at_the_first_kept() -> None:
    values = DiskValues()
    for key, value in [("x", b"old"), ("y", b"old"), ("z", b"new"), ("w", b"old")]:
        values.put_many(0, [(key, value)])
    values.put_many(1, [("p", b"old")])
    values.put_many(0, [("x", b"new")])  # rewritten: now the newest write of partition 0

    def keep(value: bytes) -> bool:
        return value == b"new"

    assert values.prune_oldest(0, keep) == 1  # "y"; "z" is kept and stops the scan
    assert {k: one(values, 0, k) for k in "xyzw"} == {
        "x": b"new",
        "y": None,
        "z": b"new",
        "w": b"old",
    }
    assert one(values, 1, "p") == b"old"  # another partition is pruned on its own
    assert values.prune_oldest(1, keep) == 1 and one(values, 1, "p") is None


def test_memory_stays_within_the_page_cache_whatever_is_stored() -> None:
    """About 8x the cache written: the process's peak memory grows by about the cache,
    not by what is stored (it grew by all of it when the values were a dict)."""
    stored_mib = 8 * CACHE_KIB // 1024
    script = textwrap.dedent(
        f"""
        import os, resource
        from core.worker.disk import DiskValues
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        values = DiskValues()
        value = os.urandom(512).hex().encode()  # 1 KiB
        for i in range({stored_mib} * 1024):
            values.put_many(i % 8, [(f"account:+55119{{i:08d}}", value)])
        key = "account:+5511900000003"
        assert values.get_many(3, [key]) == {{key: value}}
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    grown_mib = int(python_output(script))
    assert grown_mib < CACHE_KIB // 1024 + 24, f"grew {grown_mib} MiB storing {stored_mib} MiB"


def test_the_file_is_unlinked_while_open_so_nothing_outlives_the_process() -> None:
    """SQLite's private temporary database: once the values outgrow the page cache they
    go to a file, which has no name on disk (nothing is left for anyone after SIGKILL)."""
    script = textwrap.dedent(
        f"""
        import os
        from core.worker.disk import DiskValues
        values = DiskValues()
        for i in range(2 * {CACHE_KIB}):
            values.put_many(0, [(str(i), bytes(1024))])
        for fd in os.listdir("/proc/self/fd"):
            try:
                print(os.readlink(f"/proc/self/fd/{{fd}}"))
            except OSError:
                pass
        """
    )
    opened = python_output(script).splitlines()
    spilled = [path for path in opened if "etilqs" in path]  # SQLite's temporary names
    assert spilled, f"the values never reached a file: {opened}"
    assert all(path.endswith("(deleted)") for path in spilled), spilled
