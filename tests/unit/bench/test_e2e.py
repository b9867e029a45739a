"""bench/e2e.py's load: the webhooks that match no conversion event (``--unmatched``)."""

from __future__ import annotations

import json

from bench.e2e import UNMATCHED_EVENT, bodies, unmatched


def test_the_unmatched_fraction_is_spread_evenly() -> None:
    assert [unmatched(i, 0.5) for i in range(6)] == [False, True] * 3
    assert sum(unmatched(i, 0.25) for i in range(1000)) == 250
    assert not any(unmatched(i, 0.0) for i in range(100))


def test_unmatched_bodies_carry_the_other_event_and_the_rest_the_samples() -> None:
    sent = [json.loads(body) for body in bodies(4, unmatched_fraction=0.5)]
    assert [body["event"] for body in sent] == [
        "PURCHASE_CANCELED",
        UNMATCHED_EVENT,
        "PURCHASE_CANCELED",
        UNMATCHED_EVENT,
    ]
    assert len({body["data"]["buyer"]["checkout_phone"] for body in sent}) == 4
