"""bench/platforms.py: every platform sample goes through the webhook stage."""

from __future__ import annotations

from bench import platforms
from tests.samples import require_samples_dir


def test_every_sample_runs_through_the_webhook_stage() -> None:
    require_samples_dir()
    payloads = list(platforms.payloads([]))
    names = {p.name for p in payloads}
    repository = {
        f"platforms/samples/{p.name}" for p in platforms.REPOSITORY_SAMPLES.glob("*.json")
    }
    assert repository <= names  # every unit's sample
    assert any(not name.startswith("platforms/") for name in names)  # and the team's
    statuses = {}
    for payload in payloads:
        value, state, statuses[payload.name] = platforms.prepared(payload)
        platforms.webhook_stage(value, state, 2)  # runs: raises on a sample it cannot take
    # A sample that maps an event and a phone matches its conversion event: three actions.
    assert statuses["platforms/samples/cakto.json"] == "matched"
    assert statuses["hotmart__PURCHASE_APPROVED.json"] == "matched"


def test_only_the_platforms_asked_for() -> None:
    assert {p.platform for p in platforms.payloads(["cakto"])} == {"cakto"}
