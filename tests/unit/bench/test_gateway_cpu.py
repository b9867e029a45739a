"""bench/gateway_cpu.py: both streams go through the real handler and are written."""

from __future__ import annotations

import argparse

from bench import gateway_cpu
from core.loop import run
from schemas.topics import WEBHOOKS
from tests.samples import require_samples_dir


def test_every_request_is_answered_200_and_written() -> None:
    require_samples_dir()  # the Hotmart stream is bench/e2e.py's sample
    kept = gateway_cpu.KeptRecords()
    args = argparse.Namespace(webhooks=5, rounds=1, body_bytes=512)
    # run() raises on any answer but 200 and on a count of kept records but 2 x 2 x 5.
    figures = run(gateway_cpu.run(args, kept))
    assert set(figures) == {"generic", "generic bare", "hotmart", "hotmart bare"}
    assert all(len(values) == 1 and values[0] > 0 for values in figures.values())
    assert kept.last is not None
    topic, key, value = kept.last  # the last Hotmart webhook, keyed by its lead's phone
    envelope = WEBHOOKS.decode(value)
    assert topic == WEBHOOKS.name
    assert envelope.integration_id == "int_51e2a0b3"
    assert b'"bench-9"' in envelope.body
    assert key == b"acc_0be7c4a1:00000009"  # the last digits of its phone, 11900000009
