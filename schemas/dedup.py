"""Dedup marks: which request first carried a delivery. Kept by the webhook agent on
the compacted topic ``hookline.dedup`` (key ``<integration id>:<delivery key>``),
co-partitioned with ``hookline.webhooks``.

A mark is written only once every output of that request (commands, history, dead
letter) is acknowledged. The request id tells a platform's retry (another request,
same delivery: a duplicate) from the same record read again after a crash (same
request: its outputs are produced again, with the same ids)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DedupMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str
    #: When the first request was received (the gateway's clock): the window counts from it.
    received_at: datetime
