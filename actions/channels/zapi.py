"""Z-API: ``POST {base}/instances/{id}/token/{token}/send-text`` with header
``Client-Token`` (the account's security token).

Requests, from Z-API's documentation (developer.z-api.io/en/message/send-message-text,
/en/message/send-button-list):

- ``text``: ``send-text`` ``{"phone": "5511...", "message"}``;
- ``quick_reply`` with buttons: ``send-button-list`` ``{"phone", "message",
  "buttonList": {"buttons": [{"id", "label"}]}}`` (Z-API warns buttons depend on the
  number and app version: its "Button Status" page); without buttons, a text;
- ``chatbot``: not sent (``fatal``; use the ``generic_http`` channel for chatbots).

Z-API takes no idempotency key, so the command id does not travel; the instance token
is part of the URL, so no URL is ever logged or kept in a detail.

Answers (:func:`classify`). Documented: 200 ``{"zaapId", "messageId", "id"}``
(``sent`` with ``messageId``), 405 (wrong method) and 415 (no JSON content type), both
``fatal``. Not documented, classified by status and Z-API's ``{"error": "..."}`` text:

=======================================================  ===================
answer                                                   verdict
=======================================================  ===================
401, 403, or an error naming the client token or token   ``auth``
429 (``Retry-After`` honoured)                           ``rate_limited``
5xx                                                      ``retryable``
a 2xx carrying an ``error`` and no message id, 404,       ``fatal``
any other (e.g. "You are not connected.")
=======================================================  ===================

Z-API queues a message for a number that is not on WhatsApp like any other (its
``phone-exists`` call tells them apart beforehand), so ``invalid_recipient`` never
comes from here."""

from __future__ import annotations

from typing import Any

import aiohttp

from actions.channels.base import Delivery, channel
from actions.channels.http import Answer, ask, by_status, digits, joined
from schemas.actions import Outgoing
from schemas.channels import ZApiSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState


def request(command: ActionCommand, outgoing: Outgoing) -> tuple[str, dict[str, Any]] | Delivery:
    """(endpoint, body) for ``outgoing``, or why it cannot be sent here."""
    phone = digits(command.phone)
    match outgoing.message_type:
        case "chatbot":
            return Delivery.failed(
                "fatal", "Z-API cannot start a chatbot flow: use the generic_http channel"
            )
        case "quick_reply" if outgoing.buttons:
            buttons = [
                {"id": f"{i}", "label": title} for i, title in enumerate(outgoing.buttons, start=1)
            ]
            body = {"phone": phone, "message": outgoing.content, "buttonList": {"buttons": buttons}}
            return "send-button-list", body
    return "send-text", {"phone": phone, "message": outgoing.content}


def _error_text(data: Any) -> str:
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else ""


def classify(answer: Answer) -> Delivery:
    data = answer.json()
    error = _error_text(data)
    if 200 <= answer.status < 300:
        message_id = (data.get("messageId") or data.get("id")) if isinstance(data, dict) else ""
        if not message_id and error:
            return Delivery.failed("fatal", answer.excerpt)
        return Delivery.sent(str(message_id or ""))
    if answer.status == 403 or (answer.status < 500 and "token" in error.lower()):
        return Delivery.failed("auth", answer.excerpt)
    return by_status(answer)


@channel(ZApiSettings)
class ZApiChannel:
    name = "zapi"

    def __init__(self, settings: ZApiSettings, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._settings = settings
        self._headers = {"Client-Token": settings.client_token} if settings.client_token else {}

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        built = request(command, outgoing)
        if isinstance(built, Delivery):
            return built
        endpoint, body = built
        settings = self._settings
        url = joined(
            settings.base_url,
            "instances",
            settings.instance_id,
            "token",
            settings.instance_token,
            endpoint,
        )
        return await ask(
            self._session, url, body, self._headers, settings.timeout_seconds, classify
        )
