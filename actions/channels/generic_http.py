"""The generic HTTP JSON channel: a POST to the account's URL for every message.

Body: ``{"command_id", "phone", "type": "text"|"quick_reply"|"chatbot", "content",
"lead": {...}}``, header ``Idempotency-Key: <command id>`` plus the account's own
headers (e.g. ``Authorization``). Any 2xx is ``sent`` (the message id is read from
``id`` or ``message_id`` of a JSON answer when there is one).

Asked again only when the answer proves the message was not taken: the connection
was never made, 429 or 503 (after ``Retry-After`` when given, capped), each time
with the same idempotency key. No answer at all (a timeout once the request was
sent) is ``unknown``: it may have been delivered, so it is not asked again."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp

from actions.channels.base import Delivery
from schemas.actions import Outgoing
from schemas.commands import ActionCommand
from schemas.leads import LeadState

log = logging.getLogger(__name__)

#: Answers that say "not taken, try later".
RETRY_STATUSES = frozenset({429, 503})
MAX_ATTEMPTS = 3
#: Longest wait between attempts, whatever Retry-After says: the lead's other
#: commands wait behind this one.
MAX_RETRY_WAIT_SECONDS = 5.0


def request_body(command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> dict[str, Any]:
    return {
        "command_id": command.command_id,
        "phone": command.phone,
        "type": outgoing.message_type,
        "content": outgoing.content,
        "lead": {"name": lead.name, "tags": lead.tags, "fields": lead.fields},
    }


def _retry_wait(response: aiohttp.ClientResponse | None, attempt: int) -> float:
    header = response.headers.get("Retry-After", "") if response is not None else ""
    wait = float(header) if header.isdigit() else 0.5 * 2**attempt
    return min(wait, MAX_RETRY_WAIT_SECONDS)


def _message_id(text: str) -> str:
    try:
        answer = json.loads(text)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        return str(answer.get("id") or answer.get("message_id") or "")
    return ""


class GenericHttpChannel:
    name = "generic_http"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str] | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._session = session
        self._url = url
        self._headers = dict(headers or {})
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        headers = {**self._headers, "Idempotency-Key": command.command_id}
        body = request_body(command, outgoing, lead)
        for attempt in range(MAX_ATTEMPTS):
            response = None
            try:
                async with self._session.post(
                    self._url, json=body, headers=headers, timeout=self._timeout
                ) as response:
                    text = await response.text(errors="replace")
            except aiohttp.ClientConnectorError as exc:
                detail = f"cannot connect: {exc.os_error or exc}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                # The request may have reached the provider: never asked again.
                return Delivery("unknown", f"no answer: {type(exc).__name__} {exc}".strip())
            else:
                if 200 <= response.status < 300:
                    return Delivery("sent", provider_message_id=_message_id(text))
                detail = f"HTTP {response.status}: {text[:200]}"
                if response.status not in RETRY_STATUSES:
                    return Delivery("failed", detail)
            if attempt + 1 < MAX_ATTEMPTS:
                await asyncio.sleep(_retry_wait(response, attempt))
        log.warning(
            "message not taken by the channel",
            extra={"command_id": command.command_id, "detail": detail},
        )
        return Delivery("failed", detail)
