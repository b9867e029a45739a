"""Values kept decoded between reads: served only for their own bytes, as copies, within
a byte budget, least recently used first out."""

from __future__ import annotations

from core.worker.decoded import DecodedValues
from schemas.leads import CommandOutcome, LeadState
from schemas.topics import LEADS


def lead(phone: str = "+5511987654321", outcomes: int = 3) -> LeadState:
    return LeadState(
        account_id="acc_1",
        phone=phone,
        tags=["cliente"],
        outcomes={f"{i:032x}": CommandOutcome(status="applied") for i in range(outcomes)},
    )


def test_a_value_is_served_only_for_the_bytes_it_was_kept_with() -> None:
    kept = DecodedValues(LeadState.editable_copy, min_bytes=0)
    value = lead()
    raw = LEADS.encode(value)
    kept.put(0, "k", raw, value)
    assert kept.get(0, "k", bytes(bytearray(raw))) == value  # equal bytes, another object
    assert kept.get(0, "k", LEADS.encode(lead(outcomes=4))) is None  # written since
    assert kept.get(1, "k", raw) is None  # another partition's key
    kept.put(0, "k", None, None)  # deleted
    assert kept.get(0, "k", raw) is None and len(kept) == 0 and kept.bytes == 0


def test_what_is_kept_and_what_is_served_are_copies() -> None:
    kept = DecodedValues(LeadState.editable_copy, min_bytes=0)
    value = lead()
    raw = LEADS.encode(value)
    kept.put(0, "k", raw, value)
    value.tags.append("changed after the write")
    served = kept.get(0, "k", raw)
    assert served is not None and served.tags == ["cliente"]
    served.tags.append("changed by the caller")
    served.outcomes["new"] = CommandOutcome(status="failed")
    again = kept.get(0, "k", raw)
    assert again is not None and again.tags == ["cliente"] and "new" not in again.outcomes
    assert LEADS.encode(again) == raw


def test_the_least_recently_used_go_first_beyond_the_budget() -> None:
    raws = {key: LEADS.encode(lead(phone=f"+55119876543{key}")) for key in ("01", "02", "03")}
    size = len(raws["01"])
    kept = DecodedValues(LeadState.editable_copy, budget_bytes=2 * size, min_bytes=0)
    for key, raw in raws.items():
        if key == "03":
            assert kept.get(0, "01", raws["01"]) is not None  # "02" is now the oldest used
        kept.put(0, key, raw, LEADS.decode(raw))
    assert [kept.get(0, key, raw) is not None for key, raw in raws.items()] == [True, False, True]
    assert kept.bytes == 2 * size

    huge = lead(outcomes=50)
    kept.put(0, "huge", LEADS.encode(huge), huge)  # more than the whole budget: not kept
    assert kept.get(0, "huge", LEADS.encode(huge)) is None and kept.bytes == 2 * size


def test_a_revoked_partitions_values_are_dropped() -> None:
    kept = DecodedValues(LeadState.editable_copy, min_bytes=0)
    value = lead()
    raw = LEADS.encode(value)
    for partition in (0, 1, 2):
        kept.put(partition, "k", raw, value)
    kept.drop([0, 2])
    assert [kept.get(p, "k", raw) is not None for p in (0, 1, 2)] == [False, True, False]
    assert kept.bytes == len(raw)


def test_by_default_only_values_dear_to_decode_are_kept() -> None:
    kept = DecodedValues(LeadState.editable_copy)
    small, large = lead(outcomes=3), lead(outcomes=30)
    kept.put(0, "small", LEADS.encode(small), small)
    kept.put(0, "large", LEADS.encode(large), large)
    assert kept.get(0, "small", LEADS.encode(small)) is None
    assert kept.get(0, "large", LEADS.encode(large)) == large
