"""Sending one message through its channel, the same way for every channel: the
account's refusal memory, pacing, asking again, the template fallback, giving up.

- **Asking again.** ``retryable`` and ``rate_limited`` answers prove the message was
  not taken: it is asked again (tenacity) with exponential backoff and jitter, never
  sooner than the provider's ``Retry-After``, the same idempotency key each time, until
  ``HOOKLINE_SEND_GIVE_UP_SECONDS`` (30 s by default: the lead's later commands, and
  its batch, wait behind it). Then it fails with the last reason.
- **Never after no answer.** ``unknown`` (a timeout or dropped connection once the
  request was sent) is final: the message may have been delivered, and a WhatsApp
  message sent twice is worse than one missing (the lead sees it twice; a missing one
  is listed by ``GET /api/messages/failed`` and can be sent again on purpose).
- **Window closed.** A text refused because the 24-hour window is closed is sent again
  as the message's WhatsApp template fallback when it has one and the channel can send
  templates (same rules), else it fails ``window_closed``.
- **Refused credentials.** After an ``auth`` answer, the account's sends fail at once
  with that reason, without calling the provider, until its channel config changes
  (any ``PUT /api/account/channel``). Remembered per worker process: a restarted
  worker asks once more.

The executor records a send's intent before :meth:`Sender.deliver` and its outcome
after (``actions/agent.py``); nothing here runs again for a command after a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any

from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    wait_exponential,
    wait_random,
)

from actions.channels.base import Delivery, MessageChannel, TemplateChannel
from actions.pacing import Pacer
from schemas.actions import Outgoing
from schemas.commands import ActionCommand
from schemas.leads import LeadState

#: First wait before asking again (doubling each time, up to the longest), and the
#: most jitter added to each.
BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0


class Sender:
    def __init__(
        self,
        give_up_seconds: float,
        pacer: Pacer | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff_initial: float = BACKOFF_INITIAL_SECONDS,
    ) -> None:
        self.give_up_seconds = give_up_seconds
        self.pacer = pacer or Pacer(clock, sleep)
        self._clock = clock
        self._sleep = sleep
        self._backoff = wait_exponential(
            multiplier=backoff_initial, max=BACKOFF_MAX_SECONDS
        ) + wait_random(0, backoff_initial)
        #: account -> (the channel config its credentials were refused under, the answer)
        self._refused: dict[str, tuple[Any, Delivery]] = {}

    # -- refused credentials ---------------------------------------------------------
    def refusal(self, account_id: str, config: Any) -> Delivery | None:
        """``auth`` without asking, while the account's channel config (any value that
        changes with it, e.g. the record's ``updated_at``) is the one refused."""
        refused = self._refused.get(account_id)
        if refused is None or refused[0] != config:
            return None
        return Delivery.failed(
            "auth",
            "not sent: the channel refused its credentials"
            f" ({refused[1].detail[:200]}); nothing is sent for this account until its"
            " channel is changed",
        )

    def remember(self, account_id: str, config: Any, delivery: Delivery) -> None:
        if delivery.verdict == "auth":
            self._refused[account_id] = (config, delivery)

    # -- pacing ----------------------------------------------------------------------
    async def pace(
        self, account_id: str, phone: str, settings: BaseModel | None, share: float = 1.0
    ) -> float:
        """Wait for the send's turn under the channel's pacing (none for ``recording``).
        ``share``: the part of the account's rate this process may use (see
        ``actions/pacing.py``)."""
        if settings is None or not getattr(settings, "delivers", False):
            return 0.0
        rate: float = settings.messages_per_second  # type: ignore[attr-defined]
        gap: float = settings.recipient_gap_seconds  # type: ignore[attr-defined]
        return await self.pacer.wait(account_id, phone, rate * share, gap)

    # -- asking ----------------------------------------------------------------------
    async def deliver(
        self,
        channel: MessageChannel,
        command: ActionCommand,
        outgoing: Outgoing,
        lead: LeadState,
    ) -> Delivery:
        """The final answer for one message (see the module's rules)."""

        async def message() -> Delivery:
            return await channel.send(command, outgoing, lead)

        delivery = await self._asking(message)
        template = outgoing.fallback
        if delivery.verdict != "window_closed" or template is None:
            return delivery
        if not isinstance(channel, TemplateChannel):
            return replace(delivery, detail=f"{delivery.detail} (no templates on {channel.name})")
        templates: TemplateChannel = channel

        async def fallback_template() -> Delivery:
            return await templates.send_template(command, template, lead)

        fallback = await self._asking(fallback_template)
        note = f"window closed; template {template.name!r}"
        return replace(fallback, detail=f"{note}: {fallback.detail}" if fallback.detail else note)

    async def _asking(self, call: Callable[[], Coroutine[Any, Any, Delivery]]) -> Delivery:
        """``call`` (a coroutine function: tenacity awaits only those) until final."""
        started = self._clock()
        first = await call()
        if not first.worth_retrying:  # most answers: no retry machinery at all
            return first
        replay = [first]

        async def attempt() -> Delivery:
            """The first answer again (already had), then new calls."""
            return replay.pop() if replay else await call()

        def give_up(state: RetryCallState) -> bool:
            return self._clock() - started + state.upcoming_sleep >= self.give_up_seconds

        def wait(state: RetryCallState) -> float:
            answer: Delivery = state.outcome.result()  # type: ignore[union-attr]
            return max(answer.retry_after or 0.0, self._backoff(state))

        attempts = AsyncRetrying(
            retry=retry_if_result(lambda d: d.worth_retrying),
            wait=wait,
            stop=give_up,
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
        )
        delivery: Delivery = await attempts(attempt)
        if delivery.worth_retrying:
            tries = attempts.statistics.get("attempt_number", 1)
            waited = self._clock() - started
            note = f"gave up after {tries} attempts, {waited:.1f} s"
            delivery = replace(delivery, detail=f"{note}: {delivery.detail}")
        return delivery
