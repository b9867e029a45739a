"""What every channel shares (actions/channels/http.py, base.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from actions.channels.base import Delivery
from actions.channels.http import digits, joined, retry_after


def test_retry_after_is_seconds_or_a_date() -> None:
    assert retry_after("120") == 120.0
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 11, 29, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert retry_after(later, now=now.timestamp()) == 30.0
    assert retry_after(None) is None and retry_after("soon") is None


def test_urls_and_phones() -> None:
    assert joined("https://api.z-api.io/", "instances", "a b/c") == (
        "https://api.z-api.io/instances/a%20b%2Fc"
    )
    assert digits("+5511988887777") == "5511988887777"


def test_what_a_verdict_means_for_the_message() -> None:
    assert Delivery.sent("w").status == "sent" and Delivery.sent().reason == ""
    assert Delivery.failed("unknown", "x").status == "unknown"
    for reason in ("retryable", "rate_limited", "window_closed", "invalid_recipient", "auth"):
        delivery = Delivery.failed(reason, "x")  # type: ignore[arg-type]
        assert delivery.status == "failed" and delivery.reason == reason
    assert Delivery.failed("rate_limited", "x").worth_retrying
    assert not Delivery.failed("unknown", "x").worth_retrying
