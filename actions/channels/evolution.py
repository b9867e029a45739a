"""Evolution API v2 (self-hosted WhatsApp Web sessions): ``POST
{base}/message/sendText/{instance}`` with header ``apikey``.

Requests, from Evolution's source (EvolutionAPI/evolution-api:
``src/api/routes/sendMessage.router.ts``, ``src/validate/message.schema.ts``):

- ``text``: ``sendText`` ``{"number": "5511...", "text"}``;
- ``quick_reply`` with buttons: ``sendButtons`` ``{"number", "description": <text>,
  "buttons": [{"type": "reply", "displayText", "id"}]}`` (v2 sends at most 3 reply
  buttons through Baileys); with ``reply_buttons`` off, or without buttons, a
  ``sendText`` listing the options ("1. Sim");
- ``chatbot``: not sent — starting the CRM's flow is not a WhatsApp message
  (``fatal``; use the ``generic_http`` channel for chatbots).

Evolution takes no idempotency key, so the command id does not travel; a message is
still sent at most once per command by the executor.

Answers (:func:`classify`): 201 with the sent message, ``{"key": {"remoteJid",
"fromMe", "id"}, "message", "status"}``: ``sent`` with ``key.id``. Errors go through
Evolution's error handler as ``{"status", "error", "response": {"message"}}``:

=====================================================  =====================
answer                                                 verdict
=====================================================  =====================
400 whose message lists ``{"exists": false}`` (the     ``invalid_recipient``
number is not on WhatsApp: ``sendMessageWithTyping``)
401 (``apikey`` refused) or 403                        ``auth``
429 (``TooManyRequestsException``, ``Retry-After``)    ``rate_limited``
5xx (e.g. the instance's connection is closed)         ``retryable``
404 (the instance does not exist), any other           ``fatal``
=====================================================  ====================="""

from __future__ import annotations

from typing import Any

import aiohttp

from actions.channels.base import Delivery, channel
from actions.channels.http import Answer, ask, by_status, digits, joined
from schemas.actions import Outgoing
from schemas.channels import EvolutionSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState

MAX_BUTTONS = 3


def listed(outgoing: Outgoing) -> str:
    """A quick reply as text, its options numbered below it."""
    options = "\n".join(f"{i}. {title}" for i, title in enumerate(outgoing.buttons, start=1))
    return f"{outgoing.content}\n\n{options}" if options else outgoing.content


def request(
    command: ActionCommand, outgoing: Outgoing, reply_buttons: bool = True
) -> tuple[str, dict[str, Any]] | Delivery:
    """(endpoint, body) for ``outgoing``, or why it cannot be sent here."""
    number = digits(command.phone)
    match outgoing.message_type:
        case "chatbot":
            return Delivery.failed(
                "fatal", "Evolution cannot start a chatbot flow: use the generic_http channel"
            )
        case "quick_reply" if outgoing.buttons and reply_buttons:
            buttons = [
                {"type": "reply", "displayText": title, "id": f"{i}"}
                for i, title in enumerate(outgoing.buttons[:MAX_BUTTONS], start=1)
            ]
            body = {"number": number, "description": outgoing.content, "buttons": buttons}
            return "sendButtons", body
        case "quick_reply":
            return "sendText", {"number": number, "text": listed(outgoing)}
    return "sendText", {"number": number, "text": outgoing.content}


def _not_on_whatsapp(data: Any) -> bool:
    response = data.get("response") if isinstance(data, dict) else None
    message = response.get("message") if isinstance(response, dict) else None
    items = message if isinstance(message, list) else [message]
    return any(isinstance(item, dict) and item.get("exists") is False for item in items)


def classify(answer: Answer) -> Delivery:
    data = answer.json()
    if 200 <= answer.status < 300:
        key = data.get("key") if isinstance(data, dict) else None
        return Delivery.sent(str(key.get("id", "")) if isinstance(key, dict) else "")
    if answer.status == 400 and _not_on_whatsapp(data):
        return Delivery.failed("invalid_recipient", answer.excerpt)
    if answer.status == 403:
        return Delivery.failed("auth", answer.excerpt)
    return by_status(answer)


@channel(EvolutionSettings)
class EvolutionChannel:
    name = "evolution"

    def __init__(self, settings: EvolutionSettings, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._settings = settings
        self._headers = {"apikey": settings.api_key}

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        built = request(command, outgoing, self._settings.reply_buttons)
        if isinstance(built, Delivery):
            return built
        endpoint, body = built
        settings = self._settings
        url = joined(settings.base_url, "message", endpoint, settings.instance)
        return await ask(
            self._session, url, body, self._headers, settings.timeout_seconds, classify
        )
