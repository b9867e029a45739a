"""The readiness decision behind /readyz (a pure function of the cached probe and the
process's own state) and the lag totals."""

from __future__ import annotations

from typing import Any

from hookline.health import WORKER_GROUP, Probe, lag_by_topic, readiness
from hookline.history.sink import GROUP as SINK_GROUP

NOW = 1000.0


def healthy(**changes: Any) -> Probe:
    probe = {
        "at": NOW - 1,
        "group_state": "Stable",
        "members": frozenset({"m1"}),
        "lag": {(WORKER_GROUP, "hookline.webhooks", 0): 3},
        "worker_pids": (42, 44),
    }
    return Probe(**(probe | changes))


def decide(probe: Probe | None, **changes: Any) -> dict[str, str]:
    options = {
        "now": NOW,
        "config_loaded": True,
        "max_lag": 100,
        "stale_after": 10.0,
    } | changes
    return readiness(probe, **options)


def test_ready_when_everything_holds() -> None:
    assert decide(healthy()) == {}
    assert decide(healthy(), supervised=True, worker_pids=(42, 44)) == {}


def test_config_not_loaded() -> None:
    assert decide(healthy(), config_loaded=False) == {"config": "config not loaded yet"}


def test_no_probe_yet_or_a_stale_one() -> None:
    assert decide(None) == {"health": "broker not probed yet"}
    assert decide(healthy(at=NOW - 11)) == {"health": "no broker probe for 11 s"}


def test_unreachable_broker_hides_what_could_not_be_checked() -> None:
    probe = Probe(at=NOW, error="no answer in 3 s")
    assert decide(probe) == {"broker": "broker unreachable: no answer in 3 s"}


def test_worker_group_without_live_members_or_rebalancing() -> None:
    assert decide(healthy(members=frozenset())) == {
        "worker": "no live member in consumer group hookline-worker"
    }
    assert decide(healthy(group_state="PreparingRebalance")) == {
        "worker": "consumer group hookline-worker is PreparingRebalance"
    }


def test_lag_of_the_worker_group_past_the_bound_per_topic() -> None:
    lag = {
        (WORKER_GROUP, "hookline.webhooks", 0): 60,
        (WORKER_GROUP, "hookline.webhooks", 1): 41,
        (WORKER_GROUP, "hookline.commands", 0): 100,
        (SINK_GROUP, "hookline.history", 0): 10_000,  # exported, never gates readiness
    }
    assert decide(healthy(lag=lag)) == {
        "lag": "hookline-worker more than 100 records behind: hookline.webhooks 101"
    }
    assert decide(healthy(lag=lag), max_lag=101) == {}


def test_a_supervised_worker_that_is_down_or_not_yet_back() -> None:
    reasons = decide(healthy(), supervised=True, worker_pids=None)
    assert reasons == {"worker": "a worker process is not running (being restarted)"}
    reasons = decide(healthy(), supervised=True, worker_pids=(43, 44))
    assert reasons == {"worker": "a worker process restarted, not in its consumer group yet"}
    # Not supervised here (gateway, api): only the group counts.
    assert decide(healthy(worker_pids=None)) == {}


def test_several_reasons_at_once() -> None:
    reasons = decide(Probe(at=NOW, error="x"), config_loaded=False, supervised=True)
    assert set(reasons) == {"config", "broker", "worker"}


def test_lag_by_topic_sums_partitions() -> None:
    lag = {
        (WORKER_GROUP, "hookline.webhooks", 0): 2,
        (WORKER_GROUP, "hookline.webhooks", 1): 3,
        (SINK_GROUP, "hookline.leads", 4): 7,
    }
    assert lag_by_topic(lag) == {
        WORKER_GROUP: {"hookline.webhooks": 5},
        SINK_GROUP: {"hookline.leads": 7},
    }
