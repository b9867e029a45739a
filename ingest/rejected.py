"""The rejected-requests log: what the gateway refused for a known integration, and
why, written to ``hookline.history`` (stored by the sink in ``rejected_requests``).

Best effort and bounded: a refusal is answered whether or not its record could be
written, and a slow broker never holds the answer back for long."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from core.redact import mask_text
from ingest.envelope import content_type, selected_headers
from schemas.config import Integration
from schemas.history import RejectedRequest
from schemas.topics import HISTORY

log = logging.getLogger(__name__)

#: How much of the body the log keeps.
EXCERPT_BYTES = 2048
#: How long a refusal waits to hand its record to the producer.
SEND_TIMEOUT = 1.0


def rejected_record(
    integration: Integration,
    *,
    request_id: str,
    received_at: float,
    status: int,
    reason: str,
    scheme: str | None,
    method: str,
    headers: Mapping[str, str],
    body: bytes | None,
    body_bytes: int,
    secret_headers: tuple[str, ...] = (),
    remote: str | None = None,
) -> RejectedRequest:
    excerpt = ""
    if body:
        text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
        excerpt = mask_text(text, [integration.secret])
    return RejectedRequest(
        request_id=request_id,
        account_id=integration.account_id,
        integration_id=integration.id,
        received_at=datetime.fromtimestamp(received_at, UTC),
        status=status,
        reason=reason,
        scheme=scheme,
        method=method,
        content_type=content_type(headers),
        headers=selected_headers(headers, secret_headers),
        body_bytes=body_bytes,
        body_excerpt=excerpt,
        remote=remote,
    )


async def record_rejection(producer: AIOKafkaProducer, record: RejectedRequest) -> None:
    """Queue the record for the broker without waiting for its acknowledgement."""

    def delivered(future: asyncio.Future) -> None:
        if not future.cancelled() and future.exception() is not None:
            _lost(record, future.exception())

    try:
        future = await asyncio.wait_for(
            producer.send(
                HISTORY.name, key=record.request_id.encode(), value=HISTORY.encode(record)
            ),
            SEND_TIMEOUT,
        )
    except (KafkaError, TimeoutError, OSError) as exc:
        _lost(record, exc)
        return
    future.add_done_callback(delivered)


def _lost(record: RejectedRequest, exc: BaseException | None) -> None:
    log.warning(
        "rejected request not logged",
        extra={"request_id": record.request_id, "error": f"{type(exc).__name__}: {exc}"},
    )
