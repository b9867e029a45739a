"""From one webhook envelope to its outcome: a history record, the action
commands to emit, and whether it is a dead letter. Pure: config comes in as a
:class:`ConfigState`, nothing is sent from here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import ValidationError

from core import jsontext
from core.body import ParsedBody, parse_body
from core.config.state import ConfigState
from core.redact import json_free_of_credentials, mask_data, mask_secrets, mask_text
from schemas.actions import parse_params
from schemas.commands import ActionCommand, command_ids_for
from schemas.config import Action, ChatbotFlow, ConversionEvent, QuickReply
from schemas.envelope import WebhookEnvelope
from schemas.history import WebhookHistory, WebhookStatus
from streams.fields import FieldValueError, convert, profile_of
from streams.mapping import MappedLead, map_parsed
from streams.templates import MissingValues, TemplateProblem, context_for, render_value

#: Bodies kept in history are capped; the full raw body stays on the topic.
HISTORY_BODY_LIMIT = 64 * 1024


@dataclass
class Outcome:
    history: WebhookHistory
    commands: list[ActionCommand] = field(default_factory=list)
    #: Set when the webhook cannot be processed as configured (dead letter).
    failure: str | None = None


def unexpected_failure(envelope: WebhookEnvelope, config: ConfigState, exc: Exception) -> Outcome:
    """The outcome of a webhook :func:`process_envelope` raised on: a bug this payload
    meets, so deterministic (processing it again raises again). It becomes a dead letter,
    replayable once fixed, rather than stopping the worker on it over and over, which
    would hold back every webhook behind it on its partition. The reason names the
    error's kind and, for a validation error, where: never the values (a payload's)."""
    if isinstance(exc, ValidationError):
        where = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'value'}: {error['type']}"
            for error in exc.errors()[:5]
        )
        reason = f"internal error: {exc.title} invalid ({where})"
    else:
        reason = f"internal error: {type(exc).__name__}"
    integration = config.integration(envelope.integration_id)
    secret = integration.secret if integration else None
    return Outcome(
        _history(envelope, None, "error", errors=[reason], secret=secret), failure=reason
    )


def delivery_key(envelope: WebhookEnvelope) -> str:
    """What identifies one delivery: command ids and the workers' dedup table key on it."""
    return envelope.delivery_id or envelope.request_id


class NotRun(Exception):
    """Why one action of a matched webhook emits no command (the webhook's history
    says it): a value its templates print is missing, the object it names is gone, or
    what it renders is not valid for its type."""


def action_params(action: Action, context: dict[str, Any], config: ConfigState) -> dict[str, Any]:
    """The command's parameters: the action's, with the content of the object it names
    (a quick reply, a chatbot flow) as it is now, templates rendered. Raises NotRun."""
    params = _fresh(config.derived(action, _own_params))
    templated = action.params.templated
    #: Still the action's own parameters, as saved (checked once per action record).
    as_saved = True
    if (key := action.object_key) is not None:
        named = config.records.get(key)
        if not isinstance(named, QuickReply | ChatbotFlow) or named.owner != action.account_id:
            raise NotRun(f"its {key.replace(':', ' ')} no longer exists")
        params |= named.content()
        templated = named.templated
        as_saved = False
    missing: list[str] = []
    for name in (n for n in templated if n in params):  # optional ones may be left out
        as_saved = False
        try:
            params[name] = render_value(params[name], context)
        except MissingValues as exc:
            missing += [n for n in exc.names if n not in missing]
        except TemplateProblem as exc:
            raise NotRun(f"template error in {name}: {exc}") from None
    if missing:
        raise NotRun(f"no value for {', '.join(missing)}")
    if typed_value(action, params, config):
        as_saved = False
    if as_saved and config.derived(action, _own_params_valid):
        return params
    try:
        parse_params(action.type, params)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}" for e in exc.errors()
        )
        raise NotRun(f"invalid once rendered: {reasons}") from None
    return params


def _own_params(action: Action) -> dict[str, Any]:
    """The action's parameters as a command carries them (built once per action record)."""
    return action.params.model_dump(exclude={"type"})


def _own_params_valid(action: Action) -> bool:
    """Whether the action's own parameters are valid as a command's (checked once per
    action record; they were when it was saved)."""
    try:
        parse_params(action.type, _own_params(action))
    except ValidationError:
        return False
    return True


def _fresh(value: Any) -> Any:
    """A copy of JSON-like ``value`` whose dicts and lists are its own (a command's
    parameters never share one with another command, nor with the cache)."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def typed_value(action: Action, params: dict[str, Any], config: ConfigState) -> bool:
    """A custom field's ``value``, rendered, as its field's type stores it (raises NotRun:
    ``12,5`` in a number field is ``12.5``; ``abc`` is not stored, and history says why).
    Whether it was converted."""
    field_param = action.params.custom_field_param
    if field_param is None or not isinstance(params.get("value"), str):
        return False
    name = params[field_param]
    field = next((f for f in config.custom_fields_of(action.account_id) if f.name == name), None)
    if field is None or field.type == "text":
        return False
    try:
        params["value"] = convert(params["value"], field.type)
    except FieldValueError as exc:
        shown = json.dumps(params["value"], ensure_ascii=False)[:100]
        raise NotRun(f"{shown} is not stored in {field.type} field {name!r}: {exc}") from None
    return True


def _free_of_credentials(parsed: ParsedBody) -> bool:
    """Whether the body is JSON known to hold no credential field, in its data or in its
    JSON text again (:func:`core.redact.json_free_of_credentials`): neither is masked."""
    return parsed.format == "json" and json_free_of_credentials(parsed.text)


def _masked_data(parsed: ParsedBody, free: bool) -> Any:
    """``parsed.data`` with credential fields masked (``free``: it holds none)."""
    return parsed.data if free else mask_data(parsed.data)


def _history(
    envelope: WebhookEnvelope,
    parsed: ParsedBody | None,
    status: WebhookStatus,
    lead: MappedLead | None = None,
    errors: list[str] | None = None,
    secret: str | None = None,
    masked: Any = None,
    free: bool = False,
) -> WebhookHistory:
    """The history row. Body credentials (``hottok``, ``token``, ..., and the
    integration's secret wherever it appears) are masked; the topic keeps the raw body.
    ``masked``: ``mask_data(parsed.data)`` when the caller has it already; ``free``:
    :func:`_free_of_credentials` of ``parsed`` (only the secret is looked for)."""
    secrets = [secret]
    parsed_json = ""
    if parsed is not None and parsed.data is not None:
        data = masked if masked is not None else _masked_data(parsed, free)
        parsed_json = jsontext.dumps(data)[:HISTORY_BODY_LIMIT]
        parsed_json = (mask_secrets if free else mask_text)(parsed_json, secrets)
    body_text = envelope.body[:HISTORY_BODY_LIMIT].decode("utf-8", errors="replace")
    # Most bodies are the parsed text itself (UTF-8, no BOM, not cut).
    body_free = free and parsed is not None and body_text == parsed.text
    lead = lead or MappedLead()  # not mapped (yet): every lead column empty
    return WebhookHistory(
        request_id=envelope.request_id,
        account_id=envelope.account_id,
        integration_id=envelope.integration_id,
        delivery_id=envelope.delivery_id,
        received_at=envelope.received_at,
        status=status,
        event=lead.event,
        name=lead.name,
        phone=lead.phone,
        phone_raw=lead.phone_raw,
        fields=lead.fields,
        errors=errors if errors is not None else lead.problems,
        warnings=lead.warnings,
        content_type=envelope.content_type,
        headers=envelope.headers,
        body_format=parsed.format if parsed else "raw",
        body_text=(mask_secrets if body_free else mask_text)(body_text, secrets),
        parsed_json=parsed_json,
    )


def process_envelope(
    envelope: WebhookEnvelope, config: ConfigState, *, duplicate: bool = False
) -> Outcome:
    integration = config.integration(envelope.integration_id)
    secret = integration.secret if integration else None
    if envelope.kind == "ping":
        return Outcome(_history(envelope, None, "ping", secret=secret))

    parsed = parse_body(envelope.body, envelope.content_type)
    free = _free_of_credentials(parsed)
    history = partial(_history, envelope, secret=secret, free=free)
    account = config.account(envelope.account_id)
    problem = None
    if integration is None or account is None:
        problem = "integration no longer exists"
    elif not account.plan.allows_webhooks:
        problem = f"plan {account.plan} does not allow webhooks"
    elif (mapping := config.mapping(integration.id)) is None:
        problem = "integration has no mapping yet"
    if problem is not None:
        return Outcome(history(parsed, "error", errors=[problem]), failure=problem)

    lead = map_parsed(mapping, parsed, envelope.headers, envelope.query)
    if not lead.ok:
        return Outcome(history(parsed, "error", lead), failure="; ".join(lead.errors))

    events = config.matching_events(integration.id, lead.event or "")
    if not events:
        return Outcome(history(parsed, "unmatched", lead))
    payload = _masked_data(parsed, free)  # what history keeps and templates see
    record = history(parsed, "duplicate" if duplicate else "matched", lead, masked=payload)
    record.matched_event_ids = [e.id for e in events]
    if duplicate:
        return Outcome(record)

    context = context_for(lead, payload)
    profile, problems = profile_of(lead.fields)
    record.errors += problems
    commands = []
    command_id_of: Callable[[str], str] | None = None  # made for the first command
    #: The send this webhook makes (one per delivery, whatever events it matched).
    sending: tuple[ConversionEvent, Action] | None = None
    for event in events:
        for action in config.actions_of(event.id):
            if action.is_send and sending is not None:
                first_event, first = sending
                record.errors.append(
                    f"{action.type} {action.id} not sent: one send per webhook, and event"
                    f" {first_event.id} ({first_event.name}) already sends {first.type}"
                    f" {first.id}"
                )
                continue
            try:
                params = action_params(action, context, config)
            except NotRun as exc:
                verb = "not sent" if action.is_send else "not run"
                record.errors.append(f"{action.type} {action.id} {verb}: {exc}")
                continue
            if action.is_send:
                sending = (event, action)
            command_id_of = command_id_of or command_ids_for(integration.id, delivery_key(envelope))
            commands.append(
                ActionCommand(
                    command_id=command_id_of(action.id),
                    account_id=envelope.account_id,
                    integration_id=integration.id,
                    request_id=envelope.request_id,
                    event_id=event.id,
                    action_id=action.id,
                    type=action.type,
                    phone=lead.phone,
                    lead_name=lead.name,
                    profile=profile,
                    params=params,
                )
            )
    record.command_ids = [c.command_id for c in commands]
    record.action_types = [c.type for c in commands]
    return Outcome(record, commands)
