"""The generic HTTP JSON channel: a POST to the account's URL for every message (the
CRM's own endpoint, which delivers it to WhatsApp).

Body: ``{"command_id", "phone", "type": "text"|"quick_reply"|"chatbot", "content",
"lead": {...}}`` (issue 10 fixes this shape), plus ``"buttons"`` for a quick reply
that has some and ``"params"`` for a chatbot started with parameters; header
``Idempotency-Key: <command id>`` (the same on every attempt) plus the account's own
headers (e.g. ``Authorization``).

Classification (:func:`classify`): any 2xx is ``sent`` (the message id is read from
``id`` or ``message_id`` of a JSON answer when there is one); 429 ``rate_limited``
(``Retry-After`` honoured); 401 ``auth``; 5xx ``retryable``; any other status
``fatal``. No connection: ``retryable``; no answer once sent: ``unknown``
(``actions/channels/http.py``)."""

from __future__ import annotations

from typing import Any

import aiohttp

from actions.channels.base import Delivery, channel
from actions.channels.http import Answer, ask, by_status
from schemas.actions import Outgoing
from schemas.channels import GenericHttpSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState


def request_body(command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> dict[str, Any]:
    body: dict[str, Any] = {
        "command_id": command.command_id,
        "phone": command.phone,
        "type": outgoing.message_type,
        "content": outgoing.content,
        "lead": {"name": lead.name, "tags": lead.tags, "fields": lead.fields},
    }
    if outgoing.buttons:
        body["buttons"] = list(outgoing.buttons)
    if outgoing.params:
        body["params"] = dict(outgoing.params)
    return body


def classify(answer: Answer) -> Delivery:
    delivery = by_status(answer)
    if delivery.verdict != "sent":
        return delivery
    data = answer.json()
    message_id = (data.get("id") or data.get("message_id")) if isinstance(data, dict) else ""
    return Delivery.sent(str(message_id or ""))


@channel(GenericHttpSettings)
class GenericHttpChannel:
    name = "generic_http"

    def __init__(self, settings: GenericHttpSettings, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._settings = settings

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        headers = {**self._settings.headers, "Idempotency-Key": command.command_id}
        body = request_body(command, outgoing, lead)
        url, seconds = str(self._settings.url), self._settings.timeout_seconds
        return await ask(self._session, url, body, headers, seconds, classify)
