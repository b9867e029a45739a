"""The key an accepted webhook is written to ``hookline.webhooks`` with, which picks
its partition: the unit of order, and of parallelism between worker processes.

Webhooks of one lead must be processed in the order they were accepted (a purchase
approved, then refunded: the lead ends refunded). Keying by the integration kept that,
but put every webhook of an integration on one partition, so one worker process did
all of a busy integration's mapping, however many workers ran. Keyed by the *lead* —
the account and the last :data:`LEAD_DIGITS` digits of the phone, read where the
integration's mapping reads it — one integration's webhooks spread over every
partition, and each lead's stay in order (across the account's integrations too).

Why the last digits and not the E.164 number: the workers normalise phones (that is
their work, and their cost); the same person's phone arrives as ``(11) 99999-0000``,
``+55 11 99999-0000`` or ``11 9999-0000`` (without the mobile 9), and the last eight
digits of all of them agree. Two leads that share them only share a partition.

A copy of a delivery has the same body, so the same key: copies meet the same dedup
marks (the marks of a partition live with it). Without a mapping, or without a phone in
the body, the key is the integration id (that webhook fails mapping, or waits for one,
in its integration's order). Order holds while the mapping's phone source stays the
same: a lead's webhooks in flight while it changes may be processed out of order.
Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.body import parsed_once
from core.sources import SourceError, read_candidates, reads_body
from schemas.envelope import WebhookEnvelope
from schemas.mapping import Mapping

#: Digits of the phone that pick the partition: a Brazilian subscriber number without
#: area code or the mobile 9, the part every spelling of the number keeps.
LEAD_DIGITS = 8


def webhook_key(
    envelope: WebhookEnvelope, mapping: Mapping | None, data: Callable[[], Any] | None = None
) -> bytes:
    """The record key of ``envelope`` on ``hookline.webhooks`` (see the module).
    ``data``: its body's parsed data, when the caller parses it for others too
    (:func:`core.body.parsed_once`)."""
    if mapping is not None and envelope.kind == "event":
        data = data or parsed_once(envelope.body, envelope.content_type)
        digits = _phone_digits(envelope, mapping, data)
        if digits is not None:
            return f"{envelope.account_id}:{digits}".encode()
    return envelope.integration_id.encode()


def _phone_digits(
    envelope: WebhookEnvelope, mapping: Mapping, data: Callable[[], Any]
) -> str | None:
    """The last digits of the first candidate phone long enough to be one."""
    body = data() if reads_body(mapping.phone) else None
    try:
        values = read_candidates(mapping.phone, body, envelope.headers, envelope.query)
    except SourceError:
        return None
    for value in values:
        if isinstance(value, str | int) and not isinstance(value, bool):
            digits = "".join(c for c in str(value) if c.isdigit())
            if len(digits) >= LEAD_DIGITS:
                return digits[-LEAD_DIGITS:]
    return None
