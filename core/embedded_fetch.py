"""How this process's consumers fetch from the embedded broker, in one call.

Every process that may talk to the embedded broker calls :func:`apply` with its
settings as it starts (``hookline dev``, the worker's ``build_app``, ``hookline sink``,
the HTTP servers; the tests' conftest too). Each part does nothing on another broker:
they work around tansu, not Kafka (``../shared/BROKER.md``)."""

from __future__ import annotations

from core import kafka_holes, kafka_idle
from core.settings import Settings


def apply(settings: Settings) -> None:
    kafka_holes.apply(settings)  # its Fetch answers can show a batch before an earlier one
    kafka_idle.apply(settings)  # every Fetch costs it about 1 ms, so idle ones ask less
