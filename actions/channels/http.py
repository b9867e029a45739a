"""One POST to a provider, through the worker's shared session: the answer, or what
became of a request that got none.

- No connection was made (refused, DNS, connect timeout): ``retryable`` — the
  provider never saw the request.
- Anything else without an answer (a timeout once the request was sent, a dropped
  connection): ``unknown`` — it may have been delivered, and a WhatsApp message sent
  twice is worse than one missing, so it is never asked again.

Details never hold the URL (Z-API's token is in its path) nor header values."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from actions.channels.base import Delivery

#: Longest wait for a connection, within the channel's timeout: a connect that times
#: out never sent anything, so it may be asked again.
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        """The body as JSON, None when it is not."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def excerpt(self) -> str:
        return f"HTTP {self.status}: {self.text[:300]}"

    def retry_after(self) -> float | None:
        return retry_after(self.headers.get("Retry-After"))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds, connect=min(seconds, CONNECT_TIMEOUT_SECONDS))


def _not_connected(exc: aiohttp.ClientConnectorError) -> str:
    reason = exc.os_error.strerror if exc.os_error and exc.os_error.strerror else "refused"
    return f"cannot connect to {exc.host}:{exc.port}: {reason}"


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    headers: Mapping[str, str],
    seconds: float,
) -> Answer | Delivery:
    """POST ``body`` as JSON once: the answer, or a ``retryable``/``unknown`` delivery."""
    try:
        async with session.post(url, json=body, headers=headers, timeout=timeout(seconds)) as r:
            return Answer(r.status, r.headers, await r.text(errors="replace"))
    except aiohttp.ClientConnectorError as exc:
        return Delivery.failed("retryable", _not_connected(exc))
    except aiohttp.ConnectionTimeoutError:
        return Delivery.failed("retryable", f"no connection within {CONNECT_TIMEOUT_SECONDS:g} s")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        # The request may have reached the provider: never asked again.
        return Delivery.failed(
            "unknown", f"no answer ({type(exc).__name__}): may have been delivered"
        )


async def ask(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    headers: Mapping[str, str],
    seconds: float,
    classify: Callable[[Answer], Delivery],
) -> Delivery:
    """One POST, its answer classified by the provider's own rules."""
    answer = await post_json(session, url, body, headers, seconds)
    return answer if isinstance(answer, Delivery) else classify(answer)


def by_status(answer: Answer) -> Delivery:
    """What an HTTP status alone says, for answers no provider code explains."""
    status = answer.status
    if 200 <= status < 300:
        return Delivery.sent()
    if status == 429:
        return Delivery.failed("rate_limited", answer.excerpt, answer.retry_after())
    if status == 401:
        return Delivery.failed("auth", answer.excerpt)
    if status >= 500:
        return Delivery.failed("retryable", answer.excerpt, answer.retry_after())
    return Delivery.failed("fatal", answer.excerpt)


def digits(phone: str) -> str:
    """An E.164 number as the providers take it: country code and number, no ``+``."""
    return phone.removeprefix("+")


def joined(base: Any, *segments: str) -> str:
    """``base`` (a URL setting) with path segments appended, each percent-encoded."""
    return "/".join([str(base).rstrip("/"), *(quote(s, safe="") for s in segments)])
