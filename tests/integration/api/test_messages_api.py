"""The account's channel and its failed messages through the API, against the real
broker and ClickHouse: credentials write-only for every channel type, the last error
from history (and the stop after refused credentials), the failed-messages list and
sending a message again as a new command, tenant by tenant."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.kafka import CompactedTopicReader
from hookline.history.clickhouse import ClickHouse
from hookline.history.store import HistoryStore
from hookline.history.tables import rows_for
from schemas.commands import ActionCommand, commands_of
from schemas.history import MessageSent
from schemas.topics import COMMANDS
from schemas.types import utcnow
from tests.integration.api.test_api import Api, open_api

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def api(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[Api]:
    async with open_api(bootstrap, clickhouse) as instance:
        yield instance


async def _message(
    store: HistoryStore,
    account_id: str,
    command_id: str,
    status: str,
    reason: str = "",
    minutes: int = 0,
    retry_of: str = "",
    phone: str = "+5511988880001",
    at: datetime | None = None,
) -> ActionCommand:
    command = ActionCommand(
        command_id=command_id,
        account_id=account_id,
        integration_id="int_1",
        request_id="req-1",
        event_id="conversion_1",
        action_id="action_1",
        type="send_message",
        phone=phone,
        lead_name="Ana",
        params={"text": f"Oi {command_id}"},
        retry_of=retry_of or None,
    )
    record = MessageSent(
        command_id=command_id,
        account_id=account_id,
        phone=phone,
        channel="whatsapp_cloud",
        message_type="text",
        content=f"Oi {command_id}",
        status=status,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
        detail=f"detail of {command_id}",
        sent_at=at or START + timedelta(minutes=minutes),
        retry_of=retry_of,
        command=command,
    )
    table, row = rows_for(record)
    await store.write(table, [row])
    return command


class Commands:
    """The commands on hookline.commands that send an account's messages again."""

    def __init__(self, bootstrap: str, account_id: str) -> None:
        self.account_id = account_id
        self.seen: list[ActionCommand] = []
        self.reader = CompactedTopicReader(bootstrap, COMMANDS.name, self._on)

    def _on(self, key: bytes | None, value: bytes | None) -> None:
        for command in commands_of(COMMANDS.decode(value)) if value else ():
            if command.account_id == self.account_id and command.retry_of:
                self.seen.append(command)

    async def until(self, count: int) -> list[ActionCommand]:
        async with asyncio.timeout(15):
            while len(self.seen) < count:
                await asyncio.sleep(0.1)
        return self.seen


async def test_failed_messages_are_listed_and_sent_again_as_new_commands(
    api: Api, clickhouse: ClickHouse, bootstrap: str
) -> None:
    account_id, key = await api.account()
    store = HistoryStore(clickhouse)
    await _message(store, account_id, "m1", "sent", minutes=1)
    m2 = await _message(store, account_id, "m2", "failed", "invalid_recipient", minutes=2)
    await _message(store, account_id, "m3", "unknown", "unknown", minutes=3)
    await _message(store, account_id, "m4", "failed", "retryable", minutes=4)
    await _message(store, account_id, "m4-r1", "failed", "rate_limited", 5, retry_of="m4")
    await _message(store, account_id, "m5", "failed", "window_closed", minutes=6)
    await _message(store, account_id, "m5-r1", "sent", minutes=7, retry_of="m5")

    status, body = await api.call("GET", "/api/messages/failed", key=key)
    assert status == 200
    listed = [(i["command_id"], i["first_command_id"], i["attempts"]) for i in body["items"]]
    assert listed == [("m4-r1", "m4", 2), ("m3", "m3", 1), ("m2", "m2", 1)]
    newest = body["items"][0]
    assert (newest["status"], newest["reason"]) == ("failed", "rate_limited")
    assert newest["detail"] == "detail of m4-r1" and newest["content"] == "Oi m4-r1"
    assert "command_json" not in newest

    async with asyncio.timeout(30):
        commands = Commands(bootstrap, account_id)
        await commands.reader.start()
    try:
        status, body = await api.call("POST", "/api/messages/m2/retry", key=key)
        assert (status, body) == (
            202,
            {"command_id": "m2-r1", "retry_of": "m2", "phone": "+5511988880001"},
        )
        # Any attempt of a chain names it; the new id counts the chain's attempts.
        for named in ("m4", "m4-r1"):
            status, body = await api.call("POST", f"/api/messages/{named}/retry", key=key)
            assert (status, body["command_id"], body["retry_of"]) == (202, "m4-r2", "m4")
        for sent in ("m1", "m5", "m5-r1"):
            status, body = await api.call("POST", f"/api/messages/{sent}/retry", key=key)
            assert status == 409 and "was sent" in body["error"]
        status, body = await api.call("POST", "/api/messages/nope/retry", key=key)
        assert (status, body["error"]) == (404, "message not found")

        seen = await commands.until(3)
        again = next(c for c in seen if c.command_id == "m2-r1")
        assert again.retry_of == "m2" and again.params == m2.params
        assert again.model_dump(exclude={"command_id", "retry_of", "created_at"}) == (
            m2.model_dump(exclude={"command_id", "retry_of", "created_at"})
        )

        # Every failed message at once; those that may have been delivered only on demand.
        status, body = await api.call("POST", "/api/messages/retry", {}, key=key)
        assert status == 202 and body["retried"] == 2
        assert {i["command_id"] for i in body["items"]} == {"m4-r2", "m2-r1"}
        status, body = await api.call(
            "POST", "/api/messages/retry", {"include_unknown": True}, key=key
        )
        assert {i["command_id"] for i in body["items"]} == {"m4-r2", "m3-r1", "m2-r1"}
        await commands.until(8)
        # The same ids again: the executor runs each command id once.
        assert {c.command_id for c in commands.seen} == {"m2-r1", "m4-r2", "m3-r1"}
    finally:
        await commands.reader.stop()


async def test_another_accounts_messages_are_unknown(api: Api, clickhouse: ClickHouse) -> None:
    account_id, key = await api.account()
    _, other_key = await api.account(name="Outra loja")
    await _message(HistoryStore(clickhouse), account_id, "mine-1", "failed", "fatal")
    status, body = await api.call("POST", "/api/messages/mine-1/retry", key=other_key)
    assert (status, body["error"]) == (404, "message not found")
    status, body = await api.call("GET", "/api/messages/failed", key=other_key)
    assert (status, body) == (200, {"items": []})
    status, body = await api.call("POST", "/api/messages/retry", {}, key=other_key)
    assert (status, body) == (202, {"retried": 0, "items": []})
    status, body = await api.call("GET", "/api/messages/failed", key=key)
    assert [i["command_id"] for i in body["items"]] == ["mine-1"]


CHANNELS = {
    "whatsapp_cloud": (
        {"phone_number_id": "106540352242922", "access_token": "EAAG-secret-1"},
        ["access_token"],
    ),
    "evolution": (
        {"base_url": "https://evo.loja.example", "instance": "loja", "api_key": "evo-secret-2"},
        ["api_key"],
    ),
    "zapi": (
        {"instance_id": "3C67AB64", "instance_token": "zapi-secret-3", "client_token": "cli-4"},
        ["client_token", "instance_token"],
    ),
    "generic_http": (
        {"url": "https://crm.example/send", "headers": {"Authorization": "Bearer gen-5"}},
        ["headers.Authorization"],
    ),
}


async def test_channel_settings_are_shown_without_their_credentials(api: Api) -> None:
    _, key = await api.account()
    status, body = await api.call("GET", "/api/account/channel", key=key)
    assert status == 200 and (body["type"], body["delivers"]) == ("recording", False)
    assert body["last_error"] is None and body["stopped"] is False

    for kind, (settings, credentials) in CHANNELS.items():
        status, body = await api.call(
            "PUT", "/api/account/channel", {"type": kind, **settings}, key=key
        )
        assert status == 200, body
        status, shown = await api.call("GET", "/api/account/channel", key=key)
        text = json.dumps(shown)
        for secret in ("secret", "cli-4", "gen-5"):
            assert secret not in text, (kind, text)
        assert shown["type"] == kind and shown["delivers"] is True
        assert shown["credentials_set"] == credentials
        assert shown["settings"]["messages_per_second"] > 0
        assert "recipient_gap_seconds" in shown["settings"]
    assert shown["settings"]["url"] == "https://crm.example/send"

    status, body = await api.call(
        "PUT", "/api/account/channel", {"type": "whatsapp_cloud", "phone_number_id": "1"}, key=key
    )
    assert status == 422 and "access_token" in body["error"]
    status, body = await api.call(
        "PUT",
        "/api/account/channel",
        {"type": "zapi", "instance_id": "a/b", "instance_token": "zapi-secret-6"},
        key=key,
    )
    assert status == 422 and "zapi-secret-6" not in json.dumps(body)
    status, body = await api.call("PUT", "/api/account/channel", {"type": "telegram"}, key=key)
    assert status == 422 and "whatsapp_cloud" in body["error"]


async def test_the_channel_shows_its_last_error_and_stops_on_refused_credentials(
    api: Api, clickhouse: ClickHouse
) -> None:
    account_id, key = await api.account()
    cloud = {"type": "whatsapp_cloud", **CHANNELS["whatsapp_cloud"][0]}
    status, body = await api.call("PUT", "/api/account/channel", cloud, key=key)
    changed = datetime.fromisoformat(body["updated_at"])
    store = HistoryStore(clickhouse)
    # Before the channel was set: not this channel's error.
    await _message(store, account_id, "old", "failed", "auth", at=changed - timedelta(hours=1))
    status, body = await api.call("GET", "/api/account/channel", key=key)
    assert body["last_error"] is None and body["stopped"] is False

    await _message(store, account_id, "c1", "failed", "invalid_recipient", at=utcnow())
    status, body = await api.call("GET", "/api/account/channel", key=key)
    assert body["last_error"]["reason"] == "invalid_recipient" and body["stopped"] is False
    await _message(store, account_id, "c2", "failed", "auth", at=utcnow() + timedelta(seconds=1))
    status, body = await api.call("GET", "/api/account/channel", key=key)
    assert body["stopped"] is True
    assert {k: body["last_error"][k] for k in ("command_id", "status", "reason")} == {
        "command_id": "c2",
        "status": "failed",
        "reason": "auth",
    }

    # Changing the channel (new credentials, or the same again) sends again.
    await asyncio.sleep(1.5)
    status, body = await api.call("PUT", "/api/account/channel", cloud, key=key)
    assert status == 200
    status, body = await api.call("GET", "/api/account/channel", key=key)
    assert body["last_error"] is None and body["stopped"] is False


async def test_a_fallback_templates_parameters_are_checked_when_saved(api: Api) -> None:
    _, key = await api.account()
    integration_id = (await api.integration(key))["id"]
    event_id = await api.event(key, integration_id)

    async def save(fallback: dict) -> tuple[int, dict]:
        action = {"type": "send_message", "text": "Oi", "fallback_template": fallback}
        return await api.action(key, integration_id, event_id, action)

    status, body = await save({"name": "Not A Template Name"})
    assert status == 422 and body["details"][0]["loc"].endswith("fallback_template.name"), body
    status, body = await save({"name": "retomar", "body_params": ["{{ name }}", "{{ nope }}"]})
    assert status == 422, body
    assert [d["loc"] for d in body["details"]] == ["fallback_template.body_params.1"]
    good = {"name": "retomar", "language": "pt_BR", "body_params": ["{{ first_name }}"]}
    status, body = await save(good)
    assert status == 201 and body["fallback_template"] == good, body
