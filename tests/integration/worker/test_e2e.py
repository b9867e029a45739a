"""The whole pipeline through HTTP only, in ``hookline dev``: account,
integration, Hotmart mapping, conversion event with three actions, the real
Hotmart PURCHASE_CANCELED sample, then lead, messages and history — in the API
and in ClickHouse — and again after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import urllib.request
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.e2e import partition_count
from hookline.embedded.broker import free_port
from hookline.embedded.devprocess import DevServer, journaled_webhook_count, query_clickhouse
from tests.samples import load_samples

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
PHONE = "+5599999999900"


def _sample(name: str) -> bytes:
    (sample,) = [s for s in load_samples() if s.name == name]
    return sample.raw


async def _eventually(check, timeout: float = 30.0, interval: float = 0.3):
    async with asyncio.timeout(timeout):
        while True:
            result = await check()
            if result:
                return result
            await asyncio.sleep(interval)


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str, key: str) -> None:
        self.session, self.base, self.headers = session, base, {"Authorization": f"Bearer {key}"}

    async def call(self, method: str, path: str, expect: int, body=None) -> dict:
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            assert response.status == expect, f"{method} {path}: {response.status} {text}"
            return json.loads(text) if text else {}


async def _account(session, server: DevServer, plan: str) -> Api:
    admin = Api(session, server.base, server.admin_token)
    created = await admin.call("POST", "/api/accounts", 201, {"name": f"Loja {plan}", "plan": plan})
    return Api(session, server.base, created["api_key"])


async def _configure(api: Api) -> dict:
    integration = await api.call(
        "POST", "/api/integrations", 201, {"name": "Hotmart", "platform": "hotmart"}
    )
    await api.call(
        "PUT",
        f"/api/integrations/{integration['id']}/mapping",
        200,
        {
            "event": "event",
            "name": "data.buyer.name",
            "phone": "data.buyer.checkout_phone",
            "fields": {"email": "data.buyer.email", "product": "data.product.name"},
            "default_region": "BR",
        },
    )
    await api.call("POST", "/api/custom-fields", 201, {"name": "produto", "description": "x"})
    event = await api.call(
        "POST",
        f"/api/integrations/{integration['id']}/events",
        201,
        {"name": "Compra cancelada", "identification": "PURCHASE_CANCELED"},
    )
    actions = f"/api/integrations/{integration['id']}/events/{event['id']}/actions"
    await api.call("POST", actions, 201, {"type": "add_tag", "tag": "compra-cancelada"})
    await api.call(
        "POST",
        actions,
        201,
        {"type": "update_field", "field": "produto", "value": "{{fields.product}}"},
    )
    await api.call(
        "POST",
        actions,
        201,
        {"type": "send_message", "text": "Oi {{name}}, sua compra foi cancelada."},
    )
    flow = await api.call("POST", "/api/chatbot-flows", 201, {"name": "Bot", "flow": "recuperacao"})
    await api.call("POST", actions, 409, {"type": "send_chatbot", "chatbot_id": flow["id"]})
    return integration


@contextlib.contextmanager
def _running(server: DevServer):
    """Start the server; on a failure, attach its logs to the error (they are in a
    temporary directory that CI does not keep)."""
    server.start()
    try:
        yield
    except BaseException as exc:
        exc.add_note(server.log_tail(120))
        exc.add_note(_history_metrics(server))
        raise
    finally:
        assert server.stop() == 0, server.log_tail()


def _history_metrics(server: DevServer) -> str:
    """What the history sink has stored so far, from the server's /metrics."""
    try:
        with urllib.request.urlopen(server.base + "/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError as exc:
        return f"/metrics unavailable: {exc}"
    return "\n".join(line for line in text.splitlines() if line.startswith("hookline_history"))


async def _post(session, url: str, body: bytes, expect: int = 200) -> dict:
    async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
        payload = await r.json()
        assert r.status == expect, payload
        return payload


def _two_free_ports() -> int:
    """A port free with the next one: hookline dev's two workers serve their /metrics
    on HOOKLINE_METRICS_PORT and the port after it."""
    for _ in range(50):
        base = free_port()
        with contextlib.suppress(OSError), socket.socket() as sock:
            sock.bind(("127.0.0.1", base + 1))
            return base
    raise RuntimeError("no two free ports in a row")


async def _worker_counts(session, base_port: int, integration_id: str) -> dict | None:
    """The workers' counters summed over both workers' /metrics, once every one
    this test looks for is there."""
    matched = (("integration", integration_id), ("status", "matched"))
    wanted = {
        ("hookline_webhooks_processed_total", matched),
        ("hookline_commands_executed_total", (("status", "applied"), ("type", "add_tag"))),
        ("hookline_commands_executed_total", (("status", "applied"), ("type", "update_field"))),
        ("hookline_commands_executed_total", (("status", "applied"), ("type", "send_message"))),
        ("hookline_messages_total", (("channel", "recording"), ("status", "sent"))),
        ("hookline_worker_batch_events_count", (("topic", "hookline.webhooks"),)),
        ("hookline_worker_batch_events_count", (("topic", "hookline.commands"),)),
    }  # fmt: skip
    found: dict = {}
    for port in (base_port, base_port + 1):
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                if key in wanted:
                    found[key] = found.get(key, 0) + sample.value
    return found if set(found) == wanted else None


async def test_pipeline_end_to_end_and_across_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = DevServer(tmp_path / "dev")
    metrics_port = _two_free_ports()
    monkeypatch.setenv("HOOKLINE_METRICS_PORT", str(metrics_port))
    with _running(server):
        async with aiohttp.ClientSession() as session:
            api = await _account(session, server, "business")
            integration = await _configure(api)
            url = integration["url"]
            assert url.startswith(server.base + "/hooks/")
            lead_path = f"/api/leads/{quote(PHONE)}"

            accepted = await _post(session, url, _sample("hotmart__PURCHASE_CANCELED.json"))
            assert accepted["ok"] is True and accepted["id"]

            async def lead_done():
                # Each command writes the lead; the field update is the later of the two.
                async with session.get(server.base + lead_path, headers=api.headers) as r:
                    lead = (await r.json()) if r.status == 200 else None
                return lead if lead and lead["fields"] else None

            lead = await _eventually(lead_done)
            assert lead["tags"] == ["compra-cancelada"]
            assert lead["fields"] == {"produto": "Produto test postback2"}
            assert lead["name"] == "Teste Comprador"
            messages = await _eventually(lambda: _messages(api, lead_path))
            assert [m["content"] for m in messages] == [
                "Oi Teste Comprador, sua compra foi cancelada."
            ]
            history = await _eventually(lambda: _history(api, integration["id"], 1))
            assert history[0]["status"] == "matched"
            assert history[0]["action_types"] == ["add_tag", "update_field", "send_message"]
            # What the workers did, in their /metrics (one webhook, three commands, one
            # message through hookline dev's recording channel, batches of each topic).
            counts = await _eventually(
                lambda: _worker_counts(session, metrics_port, integration["id"])
            )
            assert set(counts.values()) == {1}, counts

            # The platform retries the same delivery: nothing changes. (The gateway may
            # answer it as a duplicate itself; otherwise the worker records a duplicate.)
            # (Waited for, not slept on: a fixed 1.5 s was short on two loaded cores.)
            again = await _post(session, url, _sample("hotmart__PURCHASE_CANCELED.json"))
            if not again.get("duplicate"):  # written: the worker must call it a duplicate
                await _eventually(lambda: _status(api, integration["id"], "duplicate"))
            statuses = [h["status"] for h in await _history(api, integration["id"], 1)]
            assert statuses.count("matched") == 1
            assert set(statuses) <= {"matched", "duplicate"}
            assert len(await _messages(api, lead_path)) == 1
            assert (await api.call("GET", lead_path, 200))["tags"] == ["compra-cancelada"]

            # A payload without a phone: history and dead letters, with the reason.
            no_phone = json.loads(_sample("hotmart__PURCHASE_CANCELED.json"))
            no_phone["id"] = "no-phone-1"
            del no_phone["data"]["buyer"]["checkout_phone"]
            await _post(session, url, json.dumps(no_phone).encode())
            errors = await _eventually(lambda: _status(api, integration["id"], "error"))
            assert "missing required field: phone" in errors[0]["errors"]
            dead = await _eventually(lambda: _deadletters(api, integration["id"]))
            assert "phone" in dead[0]["reason"]

            # No mapping yet: a dead letter; fixed mapping + replay: processed.
            late = await api.call(
                "POST", "/api/integrations", 201, {"name": "Sem mapeamento", "platform": "generic"}
            )
            await _post(session, late["url"], _sample("hotmart__PURCHASE_APPROVED.json"))
            dead = await _eventually(lambda: _deadletters(api, late["id"]))
            assert dead[0]["reason"] == "integration has no mapping yet"
            await api.call(
                "PUT",
                f"/api/integrations/{late['id']}/mapping",
                200,
                {"event": "event", "name": "data.buyer.name", "phone": "data.buyer.checkout_phone"},
            )
            replay = await api.call(
                "POST", f"/api/integrations/{late['id']}/deadletters/replay", 200, {}
            )
            assert replay["request_ids"] == [dead[0]["request_id"]]
            replayed = await _eventually(lambda: _status(api, late["id"], "unmatched"))
            assert replayed[0]["request_id"] == dead[0]["request_id"]
            assert await _deadletters(api, late["id"]) == []

            # A body declared JSON that does not parse: where it breaks is the reason, in
            # history and in the dead letter, not the fields it leaves missing.
            await _post(session, late["url"], b'{"event": "PURCHASE_APPROVED",, "data": {}}')
            dead = await _eventually(lambda: _deadletters(api, late["id"]))
            assert dead[0]["reason"].startswith("invalid JSON at byte 30 (line 1, column 31): ")
            broken = await _eventually(lambda: _status(api, late["id"], "error"))
            assert [b["errors"] for b in broken] == [[dead[0]["reason"]]]

            # Unknown token, and an account whose plan does not allow webhooks.
            await _post(session, server.base + "/hooks/not-a-token", b"{}", expect=404)
            basic = await _account(session, server, "basic")
            refused = await basic.call(
                "POST", "/api/integrations", 403, {"name": "x", "platform": "hotmart"}
            )
            assert "Business or Elite" in refused["error"]
    assert "hookline dev: stopped" in server.output
    # Every webhook above was finished: the stop's last sweep of the journal left none
    # for the next start to publish and process again.
    assert journaled_webhook_count(server.data_dir) == 0

    rows = query_clickhouse(
        server.data_dir,
        (
            "SELECT status, phone, action_types FROM hookline.webhooks FINAL"
            f" WHERE integration_id = '{integration['id']}' ORDER BY processed_at"
        ),
    )
    assert [r["status"] for r in rows if r["status"] != "duplicate"] == ["matched", "error"]
    assert rows[0]["phone"] == PHONE
    leads = query_clickhouse(
        server.data_dir, f"SELECT tags FROM hookline.leads FINAL WHERE phone = '{PHONE}'"
    )
    assert leads == [{"tags": ["compra-cancelada"]}]

    # The embedded broker's topics got a partition per worker (hookline dev's default
    # two), recorded with the journals; the restart makes them so again.
    recorded = json.loads((server.data_dir / "journal" / "partitions.json").read_text())
    assert recorded["hookline.webhooks"] == recorded["hookline.commands"] == 2

    # Restart on the same data: config and leads come back from ClickHouse.
    with _running(server):
        assert await _partitions(server, "hookline.commands") == 2
        async with aiohttp.ClientSession() as session:
            api = Api(session, server.base, api.headers["Authorization"].split()[1])
            assert (await api.call("GET", lead_path, 200))["tags"] == ["compra-cancelada"]
            again = json.loads(_sample("hotmart__PURCHASE_CANCELED.json"))
            again["id"] = "second-cancel"
            await _post(session, url, json.dumps(again).encode())
            messages = await _eventually(lambda: _at_least(api, lead_path, 2))
            assert len(messages) == 2
            assert (await api.call("GET", lead_path, 200))["tags"] == ["compra-cancelada"]


async def _partitions(server: DevServer, topic: str) -> int:
    """How many partitions ``topic`` has on the running ``hookline dev``'s broker."""
    bootstrap = [line for line in server.output if line.startswith("hookline dev: broker ")]
    return await partition_count(bootstrap[-1].split()[-1], topic)


async def _messages(api: Api, lead_path: str) -> list:
    return (await api.call("GET", lead_path + "/messages", 200))["messages"]


async def _at_least(api: Api, lead_path: str, count: int):
    messages = await _messages(api, lead_path)
    return messages if len(messages) >= count else None


async def _history(api: Api, integration_id: str, count: int):
    items = (await api.call("GET", f"/api/integrations/{integration_id}/history", 200))["items"]
    return items if len(items) >= count else None


async def _status(api: Api, integration_id: str, status: str):
    items = (await api.call("GET", f"/api/integrations/{integration_id}/history", 200))["items"]
    return [i for i in items if i["status"] == status] or None


async def _deadletters(api: Api, integration_id: str):
    return (await api.call("GET", f"/api/integrations/{integration_id}/deadletters", 200))["items"]
