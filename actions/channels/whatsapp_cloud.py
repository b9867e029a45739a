"""Meta's WhatsApp Cloud API: ``POST {base}/{version}/{phone_number_id}/messages`` with
``Authorization: Bearer <token>``.

Requests (:func:`message_body`, :func:`template_body`), as documented by Meta
(developers.facebook.com/documentation/business-messaging/whatsapp/messages/...):

- ``text``: ``{"type": "text", "text": {"body", "preview_url": false}}``;
- ``quick_reply`` with buttons: ``{"type": "interactive", "interactive": {"type":
  "button", "body": {"text"}, "action": {"buttons": [{"type": "reply", "reply": {"id",
  "title"}}]}}}`` — at most 3 buttons, titles at most 20 characters (longer ones are
  cut), ids unique (interactive-reply-buttons-messages); without buttons, a text;
- ``chatbot``: the template its flow names (a conversation is started with a
  template), start parameters as the body's ``{{1}}``, ``{{2}}``, ... in order;
- the fallback of a ``window_closed`` text: ``{"type": "template", "template": {"name",
  "language": {"code"}, "components": [{"type": "body", "parameters": [{"type":
  "text", "text"}]}]}}``.

Every request carries ``messaging_product: whatsapp``, ``recipient_type:
individual``, ``to`` (digits, country code first) and the command id in
``biz_opaque_callback_data`` (an opaque string of at most 512 bytes that Meta echoes
in the message's status webhooks; the Cloud API takes no idempotency key).

Answers (:func:`classify`). Success is 200 ``{"messaging_product", "contacts":
[{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}``: ``sent`` with that id.
Errors are Graph API errors, ``{"error": {"message", "type", "code", "error_data":
{"details"}, "fbtrace_id"}}``, classified by ``code`` as Meta recommends (support/
error-codes; throughput; Graph API error handling):

==================================================  ====================
code                                                verdict
==================================================  ====================
130429 throughput reached (80 mps by default),      ``rate_limited``
131056 (business, consumer) pair rate limit,
80007 WABA rate limit, 4 app call rate limit
131047 re-engagement: more than 24 hours since the  ``window_closed``
recipient last replied (templates only)
131026 message undeliverable (not on WhatsApp, old  ``invalid_recipient``
app, terms not accepted)
190 access token expired/invalid (HTTP 401), 0      ``auth``
auth exception, 10 and 200-299 permission denied
1 API unknown, 2 API service (temporary), 131000    ``retryable``
something went wrong, 131016 service unavailable,
133004 server temporarily unavailable
anything else: by HTTP status (429                  ``rate_limited`` /
rate_limited, 401 auth, 5xx retryable, else fatal)  ``auth`` / ...
==================================================  ====================

131048 (spam rate limit) and 131049 (per-user marketing limit) are ``fatal``: Meta
lifts them after hours, not seconds. Meta may also report 131026 and 131047 only
later, in the status webhook of a message it first accepted; hookline does not
receive those webhooks, so such a message stays ``sent`` here."""

from __future__ import annotations

from typing import Any

import aiohttp

from actions.channels.base import Delivery, channel
from actions.channels.http import Answer, ask, by_status, digits, joined
from schemas.actions import Outgoing, WhatsAppTemplate
from schemas.channels import WhatsAppCloudSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState

MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20

RATE_LIMITED = frozenset({4, 80007, 130429, 131056})
WINDOW_CLOSED = frozenset({131047})
INVALID_RECIPIENT = frozenset({131026})
AUTH = frozenset({0, 10, 190, *range(200, 300)})
RETRYABLE = frozenset({1, 2, 131000, 131016, 133004})


def _envelope(command: ActionCommand) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": digits(command.phone),
        "biz_opaque_callback_data": command.command_id,
    }


def template_body(
    command: ActionCommand, name: str, language: str, params: tuple[str, ...]
) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params:
        parameters = [{"type": "text", "text": p} for p in params]
        template["components"] = [{"type": "body", "parameters": parameters}]
    return _envelope(command) | {"type": "template", "template": template}


def message_body(
    command: ActionCommand, outgoing: Outgoing, template_language: str = "pt_BR"
) -> dict[str, Any]:
    match outgoing.message_type:
        case "chatbot":
            values = tuple(value for _, value in outgoing.params)
            return template_body(command, outgoing.content, template_language, values)
        case "quick_reply" if outgoing.buttons:
            buttons = [
                {"type": "reply", "reply": {"id": f"{i}", "title": title[:MAX_BUTTON_TITLE]}}
                for i, title in enumerate(outgoing.buttons[:MAX_BUTTONS], start=1)
            ]
            interactive = {
                "type": "button",
                "body": {"text": outgoing.content},
                "action": {"buttons": buttons},
            }
            return _envelope(command) | {"type": "interactive", "interactive": interactive}
    text = {"preview_url": False, "body": outgoing.content}
    return _envelope(command) | {"type": "text", "text": text}


def _error(data: Any) -> tuple[int | None, str]:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code = error.get("code")
    extra = error.get("error_data")
    details = extra.get("details", "") if isinstance(extra, dict) else ""
    text = f"{error.get('message', '')} {details}".strip()
    return (code if isinstance(code, int) else None), text


def classify(answer: Answer) -> Delivery:
    data = answer.json()
    if 200 <= answer.status < 300:
        messages = data.get("messages") if isinstance(data, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else {}
        return Delivery.sent(str(first.get("id", "")) if isinstance(first, dict) else "")
    code, text = _error(data)
    if code is None:
        return by_status(answer)
    detail = f"HTTP {answer.status}, code {code}: {text}"[:500]
    for codes, verdict in (
        (RATE_LIMITED, "rate_limited"),
        (WINDOW_CLOSED, "window_closed"),
        (INVALID_RECIPIENT, "invalid_recipient"),
        (AUTH, "auth"),
        (RETRYABLE, "retryable"),
    ):
        if code in codes:
            return Delivery.failed(verdict, detail, answer.retry_after())  # type: ignore[arg-type]
    fallback = by_status(answer)
    return Delivery.failed(fallback.reason, detail, fallback.retry_after)  # type: ignore[arg-type]


@channel(WhatsAppCloudSettings)
class WhatsAppCloudChannel:
    name = "whatsapp_cloud"

    def __init__(self, settings: WhatsAppCloudSettings, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._settings = settings
        self._url = joined(
            settings.base_url, settings.api_version, settings.phone_number_id, "messages"
        )
        self._headers = {"Authorization": f"Bearer {settings.access_token}"}

    async def _post(self, body: dict[str, Any]) -> Delivery:
        seconds = self._settings.timeout_seconds
        return await ask(self._session, self._url, body, self._headers, seconds, classify)

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        return await self._post(message_body(command, outgoing, self._settings.template_language))

    async def send_template(
        self, command: ActionCommand, template: WhatsAppTemplate, lead: LeadState
    ) -> Delivery:
        body = template_body(command, template.name, template.language, template.body_params)
        return await self._post(body)
