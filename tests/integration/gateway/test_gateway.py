"""The gateway against the real broker: what each request is answered, and what
reached ``hookline.webhooks`` (or that nothing did)."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator

import pytest

from hookline.api.integrations import new_token
from schemas.config import CustomResponse, RateLimit
from schemas.types import Plan
from tests.clock import FakeClock
from tests.integration.gateway.gateway_env import MAX_BODY, GatewayEnv, open_gateway

pytestmark = [pytest.mark.kafka]

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
async def env(bootstrap: str) -> AsyncIterator[GatewayEnv]:
    async with open_gateway(bootstrap) as instance:
        yield instance


# -- accepted requests -----------------------------------------------------------
async def test_an_accepted_webhook_is_in_kafka_under_its_request_id(env: GatewayEnv) -> None:
    hook = await env.hook("hotmart")
    body = b'{"id": "evt-1", "event": "PURCHASE_APPROVED", "data": {"buyer": {"name": "Ana"}}}'
    headers = {**JSON, "X-Hotmart-Hottok": "tok", "Authorization": "Bearer x", "X-Trace": "t1"}
    status, answer, answer_headers = await env.post(hook, body, headers, params={"src": "a"})
    assert status == 200 and answer == {"ok": True, "id": answer["id"]}
    # One id everywhere: the answer, the X-Request-Id header and the envelope.
    assert answer_headers["X-Request-Id"] == answer["id"]

    envelope = await env.envelope(hook, answer["id"])
    assert envelope.body == body  # raw bytes, byte for byte
    assert envelope.kind == "event" and envelope.method == "POST"
    assert envelope.delivery_id == "evt-1"  # Hotmart's event id, from its preset
    assert envelope.integration_id == hook.id
    assert envelope.account_id == hook.integration.account_id
    assert envelope.content_type == "application/json" and envelope.query == {"src": ["a"]}
    assert envelope.headers["x-trace"] == "t1"
    for credential in ("x-hotmart-hottok", "authorization", "host", "content-length"):
        assert credential not in envelope.headers


BODIES = {
    "json": (b'{"event": "paid", "n": 1}', "application/json"),
    "json-charset": ('{"nome": "João"}'.encode(), "application/json; charset=utf-8"),
    "form": (b"event=paid&buyer%5Bname%5D=Ana+Maria", "application/x-www-form-urlencoded"),
    "multipart": (
        b'--xyz\r\nContent-Disposition: form-data; name="event"\r\n\r\npaid\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n--xyz--\r\n",
        "multipart/form-data; boundary=xyz",
    ),
    "text": (b"event paid for Ana", "text/plain"),
    "xml": (b'<?xml version="1.0"?><order><event>paid</event></order>', "application/xml"),
    "unknown-type": (b"\x89PNG\r\n\x1a\n\x00\x00binary", "application/x-something-else"),
    "octet-stream": (bytes(range(256)), "application/octet-stream"),
    "no-type": (b'{"event": "paid"}', None),
    "wrong-type": (b'{"event": "paid"}', "text/html"),
    "garbage-type": (b"a=1", ";;;/=="),
    "latin-1": ("nome=João".encode("latin-1"), "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("kind", list(BODIES))
async def test_every_body_type_is_carried_raw(env: GatewayEnv, kind: str) -> None:
    hook = await env.hook()
    body, content_type = BODIES[kind]
    # skip_auto_headers: a missing Content-Type must stay missing.
    headers = {"Content-Type": content_type} if content_type else {}
    async with env.client.post(
        hook.path, data=body, headers=headers, skip_auto_headers=["Content-Type"]
    ) as response:
        assert response.status == 200, await response.text()
        request_id = (await response.json())["id"]
    envelope = await env.envelope(hook, request_id)
    assert envelope.body == body and envelope.kind == "event"
    assert envelope.content_type == content_type


async def test_a_query_string_with_an_empty_body_is_an_event(env: GatewayEnv) -> None:
    hook = await env.hook()
    status, answer, _ = await env.post(hook, params={"event": "paid", "phone": "5511999999999"})
    assert status == 200 and "ping" not in answer
    envelope = await env.envelope(hook, answer["id"])
    assert envelope.kind == "event" and envelope.query == {
        "event": ["paid"],
        "phone": ["5511999999999"],
    }


# -- handshakes ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("platform", "body", "content_type"),
    [
        ("woocommerce", b"webhook_id=73", "application/x-www-form-urlencoded"),
        ("vtex", b'{"hookConfig":"ping"}', "application/json"),
        ("generic", b"", None),  # an empty POST checks the URL too
    ],
)
async def test_handshakes_are_answered_and_written_as_pings(
    env: GatewayEnv, platform: str, body: bytes, content_type: str | None
) -> None:
    hook = await env.hook(platform)
    headers = {"Content-Type": content_type} if content_type else {}
    for _ in range(2):  # a ping is never a duplicate
        status, answer, _ = await env.post(hook, body, headers)
        assert status == 200 and answer["ok"] is True and answer["ping"] is True
    envelopes = await env.envelopes(hook)
    assert [e.kind for e in envelopes] == ["ping", "ping"]
    assert envelopes[0].body == body


# -- GET on the URL, custom answers ------------------------------------------------
async def test_get_shows_a_status_page_without_secrets(env: GatewayEnv) -> None:
    hook = await env.hook("stripe", secret="whsec_never_shown")
    async with env.client.get(hook.path) as response:
        text = await response.text()
        assert response.status == 200 and response.content_type == "application/json"
    assert json.loads(text) == {
        "ok": True,
        "integration": "stripe test",
        "platform": "stripe",
        "accepting": True,
    }
    assert "whsec" not in text and hook.token not in text
    await env.update(hook, enabled=False)
    async with env.client.get(hook.path) as response:
        page = await response.json()
    assert page["accepting"] is False and page["reason"] == "this integration is disabled"
    async with env.client.get(f"/hooks/{new_token()}") as response:
        assert response.status == 404 and (await response.json())["ok"] is False
    assert await env.envelopes(hook, marker=False) == []


async def test_custom_response(env: GatewayEnv) -> None:
    custom = CustomResponse(status=202, body="<ok/>", content_type="application/xml")
    hook = await env.hook(response=custom)
    for body in (b'{"id": 1}', b'{"id": 1}', b"webhook_id=1"):  # event, duplicate, ping
        async with env.client.post(hook.path, data=body) as response:
            assert response.status == 202 and await response.text() == "<ok/>"
            assert response.content_type == "application/xml"
            assert len(response.headers["X-Request-Id"]) == 32
    await env.update(hook, response=CustomResponse(status=204))
    async with env.client.post(hook.path, data=b'{"id": 2}') as response:
        assert response.status == 204 and await response.read() == b""
    # Errors keep hookline's JSON.
    status, answer, _ = await env.post(hook, b"x" * (MAX_BODY + 1))
    assert status == 413 and answer["ok"] is False


# -- refusals before the body ----------------------------------------------------------
async def test_unknown_url_plan_and_disabled(env: GatewayEnv) -> None:
    status, answer, _ = await env.post(f"/hooks/{new_token()}", b"{}")
    assert (status, answer) == (404, {"ok": False, "error": "unknown webhook URL"})

    basic = await env.hook(plan=Plan.basic)
    status, answer, _ = await env.post(basic, b"{}")
    assert status == 403 and answer["error"] == (
        "the account's plan (basic) does not include webhooks; upgrade to Business or Elite"
    )
    hook = await env.hook()
    await env.update(hook, enabled=False)
    status, answer, _ = await env.post(hook, b"{}")
    assert (status, answer["error"]) == (403, "this integration is disabled")
    await env.update(hook, enabled=True)
    assert [e.body for e in await env.envelopes(hook)] == []
    assert await env.envelopes(basic, marker=False) == []


async def test_methods_other_than_post_put_get(env: GatewayEnv) -> None:
    hook = await env.hook()
    async with env.client.request("PUT", hook.path, data=b'{"a": 1}') as response:
        assert response.status == 200
    for method in ("DELETE", "PATCH", "OPTIONS"):
        async with env.client.request(method, hook.path) as response:
            assert response.status == 405 and (await response.json())["ok"] is False


# -- size limits ---------------------------------------------------------------------
async def test_413_for_a_declared_size(env: GatewayEnv) -> None:
    hook = await env.hook()
    status, answer, _ = await env.post(hook, b"{" + b" " * MAX_BODY + b"}")
    assert (status, answer) == (
        413,
        {"ok": False, "error": f"body larger than {MAX_BODY} bytes", "limit": MAX_BODY},
    )
    status, _, _ = await env.post(hook, b"a" * MAX_BODY)  # exactly the limit is fine
    assert status == 200
    assert [len(e.body) for e in await env.envelopes(hook)] == [MAX_BODY]


async def test_413_for_a_streamed_body(env: GatewayEnv) -> None:
    hook = await env.hook()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * (16 * 1024)

    async with env.client.post(hook.path, data=chunks()) as response:
        assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert response.status == 413
        answer = await response.json()
    assert answer["error"] == f"body larger than {MAX_BODY} bytes"
    rejected = await env.rejected(response.headers["X-Request-Id"])
    assert rejected.status == 413 and rejected.body_bytes > MAX_BODY
    assert await env.envelopes(hook) == []


# -- Content-Encoding --------------------------------------------------------------
async def test_gzip_and_deflate_bodies_are_decoded(env: GatewayEnv) -> None:
    hook = await env.hook()
    body = json.dumps({"event": "paid", "items": list(range(500))}).encode()
    ids = []
    for encoded, coding in ((gzip.compress(body), "gzip"), (zlib.compress(body), "deflate")):
        status, answer, _ = await env.post(hook, encoded, {**JSON, "Content-Encoding": coding})
        assert status == 200, answer
        ids.append(answer["id"])
    envelopes = await env.envelopes(hook)
    assert [e.request_id for e in envelopes] == ids[:1]  # the same body: a duplicate
    assert envelopes[0].body == body and "content-encoding" not in envelopes[0].headers


async def test_bad_encodings_are_refused_with_a_reason(env: GatewayEnv) -> None:
    hook = await env.hook()
    bomb = gzip.compress(b"{" + b" " * (20 * 1024 * 1024) + b"}")
    cases = [
        (b"this is not gzip", "gzip", 400, "body is not valid gzip"),
        (gzip.compress(b'{"a": 1}')[:-10], "gzip", 400, "body is not valid gzip (truncated)"),
        (bomb, "gzip", 413, f"decoded body larger than {MAX_BODY} bytes"),
        (b"data", "br", 415, "unsupported Content-Encoding 'br'"),
    ]
    for body, coding, expected, reason in cases:
        status, answer, headers = await env.post(hook, body, {"Content-Encoding": coding})
        assert status == expected and answer["error"].startswith(reason), answer
        rejected = await env.rejected(headers["X-Request-Id"])
        assert (rejected.status, rejected.body_bytes) == (expected, len(body))
    assert await env.envelopes(hook) == []


async def test_many_gzip_members_neither_block_the_loop_nor_get_through(bootstrap: str) -> None:
    # 52,000 empty gzip members in 1 MiB: decoded in quadratic time on the event loop,
    # ten of them held /healthz for 11.6 s. Now each is refused at once, off the loop.
    member = gzip.compress(b"")
    pathological = member * (1024 * 1024 // len(member))
    async with open_gateway(bootstrap, max_body_bytes=1024 * 1024) as big:
        hook = await big.hook()
        headers = {**JSON, "Content-Encoding": "gzip"}
        # Normal multi-member gzip still decodes.
        body = b'{"event": "paid", "name": "Ana"}'
        status, answer, _ = await big.post(
            hook, gzip.compress(body[:9]) + gzip.compress(body[9:]), headers
        )
        assert status == 200, answer
        assert (await big.envelope(hook, answer["id"])).body == body

        health: list[float] = []
        done = asyncio.Event()

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                async with big.client.get("/healthz") as response:
                    assert response.status == 200
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        try:
            results = await asyncio.gather(
                *(big.post(hook, pathological, headers) for _ in range(10))
            )
        finally:
            elapsed = time.perf_counter() - started
            done.set()
            await prober
    assert {(status, answer["error"]) for status, answer, _ in results} == {
        (400, "body has more than 1000 gzip members")
    }
    # Generous bounds: the point is linear against quadratic (11.6 s before).
    assert elapsed < 3.0, elapsed
    assert health and max(health) < 0.3, max(health)


# -- duplicates ------------------------------------------------------------------------
async def test_duplicates_are_answered_once_written(env: GatewayEnv) -> None:
    hook = await env.hook("shopify")
    order = b'{"id": 820982911946154508, "email": "ana@example.com"}'
    first_headers = {**JSON, "X-Shopify-Webhook-Id": "b54557e4", "X-Shopify-Topic": "orders/paid"}
    status, first, _ = await env.post(hook, order, first_headers)
    assert status == 200 and "duplicate" not in first
    # Shopify's retry: same delivery id (the body may even differ in formatting).
    status, again, headers = await env.post(hook, order + b"\n", first_headers)
    assert (status, again) == (200, {"ok": True, "duplicate": True, "id": first["id"]})
    assert headers["X-Request-Id"] != first["id"]
    # Another delivery of the same order is a new delivery.
    other = {**first_headers, "X-Shopify-Webhook-Id": "c6a1"}
    status, second, _ = await env.post(hook, order, other)
    assert status == 200 and "duplicate" not in second
    envelopes = await env.envelopes(hook)
    assert [(e.request_id, e.delivery_id) for e in envelopes] == [
        (first["id"], "b54557e4"),
        (second["id"], "c6a1"),
    ]


async def test_across_gateway_processes_the_delivery_id_is_the_dedup_key(
    env: GatewayEnv, bootstrap: str
) -> None:
    # Each process remembers only what it wrote: a retry that lands on another gateway
    # is written again, with the same delivery id, and the workers' dedup table (keyed
    # by integration and delivery id) makes sure it is processed once.
    hook = await env.hook("stripe")
    event = b'{"id": "evt_cross", "type": "invoice.paid"}'
    async with open_gateway(bootstrap) as other:
        first = (await env.post(hook, event, JSON))[1]
        second = (await other.post(hook.path, event, JSON))[1]
    assert "duplicate" not in first and "duplicate" not in second
    envelopes = await env.envelopes(hook)
    assert [(e.request_id, e.delivery_id) for e in envelopes] == [
        (first["id"], "evt_cross"),
        (second["id"], "evt_cross"),
    ]


async def test_duplicates_by_body_id_and_by_hash(env: GatewayEnv) -> None:
    stripe = await env.hook("stripe")
    event = b'{"id": "evt_123", "type": "checkout.session.completed"}'
    answers = [(await env.post(stripe, event, JSON))[1] for _ in range(3)]
    assert [a.get("duplicate", False) for a in answers] == [False, True, True]
    assert {a["id"] for a in answers} == {answers[0]["id"]}

    generic = await env.hook()
    body = b'{"event": "paid", "phone": "5511999999999"}'
    answers = [(await env.post(generic, body, JSON))[1] for _ in range(2)]
    assert answers[1] == {"ok": True, "duplicate": True, "id": answers[0]["id"]}
    (envelope,) = await env.envelopes(generic)
    assert envelope.delivery_id.startswith("sha256:")
    assert [e.delivery_id for e in await env.envelopes(stripe)] == ["evt_123"]


async def test_concurrent_retries_of_one_delivery_are_written_once(env: GatewayEnv) -> None:
    # Five copies at once: the first holds the delivery while it is written, the others
    # wait for it and are answered as its duplicates.
    hook = await env.hook("stripe")
    event = b'{"id": "evt_burst", "type": "invoice.paid"}'
    answers = [
        a for _, a, _ in await asyncio.gather(*(env.post(hook, event, JSON) for _ in range(5)))
    ]
    written = [a for a in answers if "duplicate" not in a]
    assert len(written) == 1, answers
    first = written[0]["id"]
    assert (
        sorted(answers, key=len)
        == [{"ok": True, "id": first}] + [{"ok": True, "duplicate": True, "id": first}] * 4
    )
    assert [e.request_id for e in await env.envelopes(hook)] == [first]


async def test_the_duplicate_window_ends(env: GatewayEnv) -> None:
    hook = await env.hook()
    recent = env.gateway.recent
    clock, recent.clock = recent.clock, FakeClock(1000.0)
    try:
        first = (await env.post(hook, b"a=1"))[1]
        recent.clock.now += recent.ttl - 1
        assert (await env.post(hook, b"a=1"))[1]["duplicate"] is True
        recent.clock.now += 1
        second = (await env.post(hook, b"a=1"))[1]
    finally:
        recent.clock = clock
    assert "duplicate" not in second
    assert [e.request_id for e in await env.envelopes(hook)] == [first["id"], second["id"]]


# -- rate limit --------------------------------------------------------------------
async def test_rate_limit_is_a_429_with_retry_after(env: GatewayEnv) -> None:
    hook = await env.hook(rate_limit=RateLimit(per_second=0.5, burst=2))
    limiter = env.gateway.limiter
    now = FakeClock(5000.0)
    clock, limiter.clock = limiter.clock, now
    try:
        statuses = [(await env.post(hook, f"n={i}".encode()))[0] for i in range(2)]
        status, answer, headers = await env.post(hook, b"n=2")
        assert statuses == [200, 200] and status == 429
        assert answer == {
            "ok": False,
            "error": "rate limit exceeded for this integration, retry later",
            "retry_after": 2,
        }
        assert headers["Retry-After"] == "2"
        now.now += 2
        assert (await env.post(hook, b"n=3"))[0] == 200
        # Another integration has its own bucket (and the server default).
        other = await env.hook()
        assert (await env.post(other, b"n=0"))[0] == 200
        now.now += 100  # refilled, for the marker request
        bodies = [e.body for e in await env.envelopes(hook)]
    finally:
        limiter.clock = clock
    assert bodies == [b"n=0", b"n=1", b"n=3"]


# -- URL tokens --------------------------------------------------------------------
async def test_a_rotated_token_keeps_working_for_the_grace_period(env: GatewayEnv) -> None:
    hook = await env.hook()
    old = hook.path
    path = f"/api/integrations/{hook.id}/rotate-token"
    auth = {"Authorization": f"Bearer {hook.api_key}"}
    async with env.client.post(path, json={"grace_seconds": 3600}, headers=auth) as response:
        assert response.status == 200
        rotated = await response.json()
    assert len(rotated["token"]) >= 22  # at least 128 bits, URL-safe base64
    new = f"/hooks/{rotated['token']}"
    assert (await env.post(old, b"via=old"))[0] == 200
    assert (await env.post(new, b"via=new"))[0] == 200
    async with env.client.post(path, json={"grace_seconds": 0}, headers=auth) as response:
        newest = f"/hooks/{(await response.json())['token']}"
    # grace 0 retires the URL that was current at once; the first keeps its hour.
    assert (await env.post(new, b"via=new"))[0] == 404
    assert (await env.post(old, b"via=old-again"))[0] == 200
    assert (await env.post(newest, b"via=newest"))[0] == 200
    hook.token = newest.removeprefix("/hooks/")
    assert [e.body for e in await env.envelopes(hook)] == [
        b"via=old",
        b"via=new",
        b"via=old-again",
        b"via=newest",
    ]
    # Past its grace period, a URL is unknown.
    state = env.runtime.view.state
    until = state.integration(hook.id).tokens[0].expires_at
    assert state.integration_by_token(old.removeprefix("/hooks/"), now=until) is None


# -- metrics and logs ----------------------------------------------------------------
@pytest.fixture(scope="module")
async def logging_all(bootstrap: str) -> AsyncIterator[GatewayEnv]:
    async with open_gateway(bootstrap, access_log="all") as instance:
        yield instance


async def test_metrics_and_request_ids_in_logs(
    logging_all: GatewayEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = logging_all
    hook = await env.hook(rate_limit=RateLimit(per_second=0.001, burst=3))
    with caplog.at_level(logging.INFO):
        _, accepted, _ = await env.post(hook, b'{"event": "a"}', JSON)
        await env.post(hook, b'{"event": "a"}', JSON)  # duplicate
        await env.post(hook, b"x" * (MAX_BODY + 1))  # 413
        await env.post(hook, b"{}")  # 429
    async with env.client.get("/metrics") as response:
        text = await response.text()
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line and not line.startswith("#")}  # fmt: skip
    label = f'integration="{hook.id}"'
    assert lines[f'hookline_webhook_requests_total{{{label},status="200"}}'] == 2
    assert lines[f'hookline_webhook_requests_total{{{label},status="413"}}'] == 1
    assert lines[f'hookline_webhook_requests_total{{{label},status="429"}}'] == 1
    assert lines[f"hookline_webhook_duplicates_total{{{label}}}"] == 1
    assert lines[f"hookline_webhook_rate_limited_total{{{label}}}"] == 1
    assert lines["hookline_webhook_body_bytes_count"] >= 2
    assert lines["hookline_produce_seconds_count"] >= 1
    assert "hookline_broker_errors_total" in text
    assert "hookline_signature_rejections_total" in text

    # One access line per request, with the request id and what the gateway did.
    access = {r.request_id: r for r in caplog.records if r.getMessage() == "http request"}
    line = access[accepted["id"]]
    assert (line.status, line.integration_id, line.kind) == (200, hook.id, "event")
    assert line.delivery_id.startswith("sha256:") and line.route == "/hooks/{token}"
    duplicate = [r for r in access.values() if getattr(r, "duplicate_of", None)]
    assert [r.duplicate_of for r in duplicate] == [accepted["id"]]
    refused = [r for r in caplog.records if r.getMessage() == "webhook refused"]
    assert [(r.status, r.integration_id) for r in refused] == [(413, hook.id)]
    # The URL token is a credential: our lines name the route, never the path.
    # (aiohttp's own access log, which prints paths, is off in every hookline process.)
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("hookline", "core", "ingest")]
    assert all(hook.token not in r.getMessage() + str(r.__dict__) for r in ours)


async def test_by_default_only_refused_requests_get_an_access_line(
    env: GatewayEnv, caplog: pytest.LogCaptureFixture
) -> None:
    hook = await env.hook()
    with caplog.at_level(logging.INFO):
        _, accepted, _ = await env.post(hook, b'{"event": "quiet"}', JSON)
        status, _, _ = await env.post(hook, b"x" * (MAX_BODY + 1))
    access = [r for r in caplog.records if r.getMessage() == "http request"]
    assert status == 413
    assert [r.status for r in access] == [413]
    assert accepted["id"] not in {r.request_id for r in access}


async def test_a_body_that_breaks_off_is_no_500(env: GatewayEnv) -> None:
    hook = await env.hook()
    server = env.client.server
    _, writer = await asyncio.open_connection(server.host, server.port)
    # 3 of the 100 bytes declared, then the client goes away.
    writer.write(f"POST {hook.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    assert (await env.post(hook, b"after=1"))[0] == 200
    assert [e.body for e in await env.envelopes(hook)] == [b"after=1"]


async def test_a_body_that_stops_arriving_is_a_408(bootstrap: str) -> None:
    async with open_gateway(bootstrap, body_timeout_seconds=0.5) as env:
        hook = await env.hook()
        server = env.client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        head = f"POST {hook.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
        writer.write(head.encode() + b"abc")  # 3 of 100 bytes, and the connection stays open
        await writer.drain()
        async with asyncio.timeout(5):
            answer = await reader.read(4096)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'"error": "body not received within 0.5 s"' in answer
        assert await env.envelopes(hook) == []


def test_url_tokens_carry_at_least_128_random_bits() -> None:
    tokens = {new_token() for _ in range(1000)}
    # token_urlsafe(24): 24 random bytes (192 bits) as 32 URL-safe characters.
    assert len(tokens) == 1000 and all(len(t) == 32 for t in tokens)
