"""The baseline the worker is measured against: a plain two-stage aiokafka loop on
the same broker, with no framework, no state store and no crash-safety.

Stage 1 (webhooks -> commands): consume a batch, parse the JSON, map event, name and
phone (jmespath), normalise the phone to E.164 (phonenumbers), produce three commands
and one history record per webhook, await them, commit.
Stage 2 (commands -> results): consume a batch, apply each command to an in-memory
lead, produce one result per command, await them, commit.

``plain_two_stage(bootstrap, bodies, mapping)`` loads the bodies on a fresh topic,
runs both stages at once and answers webhooks/s from the first consumed webhook to the
last applied command."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import defaultdict
from typing import Any

import jmespath
import phonenumbers
from aiokafka import AIOKafkaConsumer

from core.kafka import new_producer


def _e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "BR")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: The plain loop's lead: tags and fields in memory.
Leads = defaultdict[str, dict[str, Any]]


def new_leads() -> Leads:
    return defaultdict(lambda: {"tags": set(), "fields": {}})


def map_webhook(
    paths: dict[str, jmespath.parser.ParsedResult], value: bytes
) -> tuple[bytes, list[bytes], bytes]:
    """The plain loop's webhook stage for one record: (lead key, 3 commands, history)."""
    data = json.loads(value)
    event = paths["event"].search(data)
    name = paths["name"].search(data)
    phone = _e164(str(paths["phone"].search(data)))
    commands = [
        json.dumps({"type": action, "phone": phone, "name": name, "event": event}).encode()
        for action in ("add_tag", "update_field", "send_message")
    ]
    return str(phone).encode(), commands, json.dumps({"event": event, "phone": phone}).encode()


def apply_command(leads: Leads, value: bytes) -> None:
    """The plain loop's executor for one command: change the in-memory lead."""
    command = json.loads(value)
    lead = leads[command["phone"]]
    if command["type"] == "add_tag":
        lead["tags"].add(command["event"])
    else:
        lead["fields"][command["type"]] = command["name"]


async def _stage(bootstrap: str, source: str, handle, done: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"plain-{secrets.token_hex(4)}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
    )
    producer = new_producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        while not done.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            sends = []
            for records in batches.values():
                for record in records:
                    for topic, key, value in handle(record.value):
                        sends.append(await producer.send(topic, key=key, value=value))
            if sends:
                await asyncio.gather(*sends)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


async def plain_two_stage(
    bootstrap: str, bodies: list[bytes], mapping: dict[str, str], partitions: int = 8
) -> float:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    run = secrets.token_hex(4)
    webhooks, commands, history, results = (
        f"plain.{run}.{name}" for name in ("webhooks", "commands", "history", "results")
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, partitions, 1) for t in (webhooks, commands, history, results)]
        )
    finally:
        await admin.close()
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        futures = [
            await producer.send(webhooks, key=str(i % 64).encode(), value=body)
            for i, body in enumerate(bodies)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()

    paths = {name: jmespath.compile(path) for name, path in mapping.items()}
    leads = new_leads()
    expected = 3 * len(bodies)
    applied = 0
    done = asyncio.Event()
    started = 0.0

    def webhook_stage(value: bytes):  # type: ignore[no-untyped-def]
        nonlocal started
        started = started or time.perf_counter()
        key, produced, record = map_webhook(paths, value)
        for command in produced:
            yield commands, key, command
        yield history, key, record

    def command_stage(value: bytes):  # type: ignore[no-untyped-def]
        nonlocal applied
        apply_command(leads, value)
        applied += 1
        if applied >= expected:
            done.set()
        yield results, value[:16], b'{"status": "applied"}'

    stages = [
        asyncio.create_task(_stage(bootstrap, webhooks, webhook_stage, done)),
        asyncio.create_task(_stage(bootstrap, commands, command_stage, done)),
    ]
    try:
        await asyncio.wait_for(done.wait(), timeout=600)
    finally:
        done.set()
        await asyncio.gather(*stages)
    return len(bodies) / (time.perf_counter() - started)
