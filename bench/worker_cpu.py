"""The worker's CPU per webhook, in process: no broker, no event loop, no I/O.

    .venv/bin/python bench/worker_cpu.py --webhooks 2000 --rounds 5

What one webhook costs the worker's one core, in the two agents' pure parts:

- webhook stage (``streams/agents.py``): decode the envelope, ``process_envelope``,
  encode its 3 commands (one record), its history record and its dedup mark;
- executor stage (``actions/agent.py``): decode the commands, run them on a new lead
  as ``run_lead`` does (``execute``; for the send: intent, recording channel's answer,
  outcome), encode the lead (intent and final), the result and message records. With
  ``--remembered N`` the lead comes back remembering N commands, which it writes with
  every change.

Config is what ``bench/e2e.py configure()`` writes through the API (a Hotmart
integration mapping event/name/phone and a custom field, an event with add_tag,
update_field with a template and send_message with a template); bodies are the real
Hotmart sample, one distinct id and phone each.

Beside it, in the same run, the bare work of the plain loop (``bench/baseline_loop.py``):
json.loads, jmespath, phonenumbers and json.dumps of 3 commands and a history record per
webhook, then json.loads and an in-memory apply per command. CPU time
(``time.process_time``) per webhook, median and range over the rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jmespath

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions.channels import Delivery
from actions.executor import (
    execute,
    finish_send,
    message_record,
    result_record,
)
from bench.baseline_loop import apply_command, map_webhook, new_leads
from bench.e2e import PLAIN_MAPPING, bodies  # the sample's body, a distinct id and phone each
from core.config.state import ConfigState, secret_hash
from schemas.commands import ActionCommand, commands_of
from schemas.config import (
    Account,
    Action,
    ConversionEvent,
    CustomField,
    Integration,
    IntegrationMapping,
    RateLimit,
    UrlToken,
)
from schemas.dedup import DedupMark
from schemas.envelope import WebhookEnvelope
from schemas.leads import CommandOutcome, LeadState, SendIntents
from schemas.mapping import Mapping
from schemas.topics import COMMANDS, DEDUP, HISTORY, LEADS, SENDS, WEBHOOKS
from schemas.types import Plan, utcnow
from streams.phone import forget_phones
from streams.process import process_envelope

ACCOUNT, INTEGRATION, EVENT = "acc_0be7c4a1", "int_51e2a0b3", "evt_9d04c2e7"
MAPPING = Mapping(
    event="event",
    name="data.buyer.name",
    phone="data.buyer.checkout_phone",
    fields={"product": "data.product.name"},
)
#: What aiohttp's client sends and the gateway keeps (transport headers dropped).
HEADERS = {
    "accept": "*/*",
    "user-agent": "Python/3.11 aiohttp/3.14.5",
    "content-type": "application/json",
}
#: What the recording channel (hookline dev's default) answers.
RECORDED = Delivery.sent(detail="recorded only: no message channel configured")


#: The conversion event's actions ``bench/e2e.py configure()`` writes.
ACTIONS: tuple[dict[str, str], ...] = (
    {"type": "add_tag", "tag": "cancelou"},
    {"type": "update_field", "field": "produto", "value": "{{fields.product}}"},
    {"type": "send_message", "text": "Oi {{name}}"},
)


def config_state(
    platform: str = "hotmart",
    mapping: Mapping | None = MAPPING,
    event: str | None = "PURCHASE_CANCELED",
    actions: tuple[dict[str, str], ...] = ACTIONS,
) -> ConfigState:
    """The config ``bench/e2e.py configure()`` writes, as a worker's view holds it: an
    integration of ``platform`` with ``mapping``, a custom field and, unless ``event`` is
    None, a conversion event of ``actions`` on that event."""
    records: list[Any] = [
        Account(id=ACCOUNT, name="bench", plan=Plan.elite, api_key_hash=secret_hash("key")),
        Integration(
            id=INTEGRATION,
            account_id=ACCOUNT,
            name="bench",
            platform=platform,
            tokens=[UrlToken(hash=secret_hash("token"))],
            rate_limit=RateLimit(per_second=100_000, burst=100_000),
        ),
        CustomField(id="fld_3a9e0c11", account_id=ACCOUNT, name="produto"),
    ]
    if mapping is not None:
        records.append(IntegrationMapping(id=INTEGRATION, account_id=ACCOUNT, mapping=mapping))
    if event is not None:
        records.append(
            ConversionEvent(
                id=EVENT,
                account_id=ACCOUNT,
                integration_id=INTEGRATION,
                name="cancel",
                identification=event,
            )
        )
        records += [
            Action(
                id=f"act_{i:08x}",
                account_id=ACCOUNT,
                integration_id=INTEGRATION,
                event_id=EVENT,
                params=params,
            )
            for i, params in enumerate(actions)
        ]
    state = ConfigState()
    for record in records:
        state.apply(record.key, record)
    return state


def envelopes(payloads: list[bytes]) -> list[bytes]:
    """Each body as the gateway writes it to ``hookline.webhooks``."""
    return [
        WEBHOOKS.encode(
            WebhookEnvelope(
                request_id=uuid.uuid4().hex,
                integration_id=INTEGRATION,
                account_id=ACCOUNT,
                received_at=utcnow(),
                content_type="application/json",
                headers=HEADERS,
                body=body,
                delivery_id=json.loads(body)["id"],
            )
        )
        for body in payloads
    ]


# -- the worker's two stages -----------------------------------------------------------
def webhook_stage(raw: list[bytes], state: ConfigState) -> list[bytes]:
    """What the webhook agent does per envelope but send: its commands, encoded."""
    commands: list[bytes] = []
    for value in raw:
        envelope = WEBHOOKS.decode(value)
        outcome = process_envelope(envelope, state)
        commands.append(COMMANDS.encode(outcome.commands))  # one lead: one record
        HISTORY.encode(outcome.history)
        DEDUP.encode(DedupMark(request_id=envelope.request_id, received_at=envelope.received_at))
    return commands


def executor_stage(raw: list[bytes], known: dict[str, LeadState] | None = None) -> int:
    """What the executor agent does per command but send and store: ``run_lead`` with the
    recording channel, on a lead seen for the first time, or as ``known`` holds it.
    Answers commands applied."""
    by_lead: defaultdict[str, list[ActionCommand]] = defaultdict(list)
    for value in raw:
        for command in commands_of(COMMANDS.decode(value)):
            by_lead[command.lead_key].append(command)
    applied = 0
    for key, commands in by_lead.items():
        lead = (known or {}).get(key)
        intents = SendIntents()
        settled = []
        for command in commands:
            execution = execute(lead, command, "recording", intents)
            if execution.outgoing is not None:
                intents = intents.started(command.command_id)
                SENDS.encode(intents)
                execution = finish_send(execution, lead, command, "recording", RECORDED)
                intents = intents.answered(command.command_id, execution.outcome)
            lead = execution.lead
            settled.append((command, execution))
        LEADS.encode(lead)
        for command, execution in settled:
            if (message := message_record(command, execution.outcome)) is not None:
                HISTORY.encode(message)
            HISTORY.encode(result_record(command, execution.outcome))
            applied += execution.outcome.status == "applied"
    return applied


def known_leads(raw: list[bytes], remembered: int) -> dict[str, LeadState]:
    """Each command's lead as a lead that came back after ``remembered`` commands (up to
    ``APPLIED_COMMANDS_KEPT``, what a lead remembers): its outcomes are written with it."""
    leads: dict[str, LeadState] = {}
    outcomes = {f"{i:032x}": CommandOutcome(status="applied") for i in range(remembered)}
    for value in raw:
        command = commands_of(COMMANDS.decode(value))[0]
        leads[command.lead_key] = LeadState(
            account_id=command.account_id, phone=command.phone, outcomes=outcomes
        )
    return leads


# -- the plain loop's bare work (bench/baseline_loop.py, without the broker) -----------
def plain_loop(payloads: list[bytes]) -> int:
    paths = {name: jmespath.compile(path) for name, path in PLAIN_MAPPING.items()}
    commands: list[bytes] = []
    for value in payloads:
        commands += map_webhook(paths, value)[1]
    leads = new_leads()
    for value in commands:
        apply_command(leads, value)
    return len(commands)


# -- measuring ----------------------------------------------------------------------------
def cpu_us(count: int, work: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """CPU µs per item (``count`` of them) of ``work(*args)``, and what it answered."""
    gc.collect()
    started = time.process_time()
    answer = work(*args)
    return (time.process_time() - started) * 1e6 / count, answer


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} µs  ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--webhooks", type=int, default=2000, help="webhooks per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=200, help="webhooks run before timing")
    parser.add_argument(
        "--remembered",
        type=int,
        default=0,
        help="commands each lead already remembers (0: new leads, as bench/e2e.py sends;"
        " a lead remembers at most 500)",
    )
    args = parser.parse_args()

    state = config_state()
    payloads = bodies(args.webhooks)
    raw = envelopes(payloads)
    warm = raw[: args.warmup]
    executor_stage(webhook_stage(warm, state))
    plain_loop(payloads[: args.warmup])

    figures: dict[str, list[float]] = defaultdict(list)
    for round_ in range(1, args.rounds + 1):
        plain, _ = cpu_us(args.webhooks, plain_loop, payloads)
        forget_phones()  # the rounds send the same webhooks: their phones stay new
        webhook, commands = cpu_us(args.webhooks, webhook_stage, raw, state)
        known = known_leads(commands, args.remembered) if args.remembered else None
        executor, applied = cpu_us(args.webhooks, executor_stage, commands, known)
        if len(commands) != args.webhooks or applied != 3 * args.webhooks:
            raise SystemExit(
                f"expected {args.webhooks} records and {3 * args.webhooks} applied commands,"
                f" got {len(commands)} and {applied}"
            )
        figures["plain"].append(plain)
        figures["webhook"].append(webhook)
        figures["executor"].append(executor)
        figures["worker"].append(webhook + executor)
        figures["ratio"].append((webhook + executor) / plain)
        print(
            f"  round {round_}/{args.rounds}: worker {webhook + executor:.0f} µs,"
            f" plain {plain:.0f} µs per webhook",
            file=sys.stderr,
            flush=True,
        )

    leads = f"leads remembering {args.remembered} commands" if args.remembered else "new leads"
    print(f"webhooks: {args.webhooks} per round, {args.rounds} rounds, {leads}; CPU µs per")
    print("webhook, median (range); one webhook = 3 commands")
    print(f"webhook stage (decode, process_envelope, encode): {summary(figures['webhook'])}")
    print(f"executor stage (decode, execute, encode):         {summary(figures['executor'])}")
    print(f"worker, both stages:                              {summary(figures['worker'])}")
    print(f"baseline, the plain loop's bare work:             {summary(figures['plain'])}")
    ratios = figures["ratio"]
    print(
        f"worker/plain ratio: {statistics.median(ratios):.1f}x"
        f"  ({min(ratios):.1f}-{max(ratios):.1f})"
        f"  -> at most {1e6 / statistics.median(figures['worker']):,.0f} webhooks/s"
        " per core on these parts alone"
    )


if __name__ == "__main__":
    main()
