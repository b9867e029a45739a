"""The console's sign-in, session, CSRF checks and tenant isolation, against the real
broker (config topic) and ClickHouse, through HTTP like a browser (a cookie jar and
form posts)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from yarl import URL

from core.serverkey import encode_key
from core.settings import Settings
from hookline.api import add_api_routes
from hookline.console import add_console_routes
from hookline.console.http import SESSION_COOKIE
from hookline.history.clickhouse import ClickHouse
from hookline.runtime import RUNTIME, Runtime, runtime_context

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

ADMIN_TOKEN = "admin-console-secret"
SERVER_KEY = encode_key(bytes(range(32)))


@asynccontextmanager
async def open_server(
    bootstrap: str, clickhouse: ClickHouse, **settings: Any
) -> AsyncIterator[TestClient]:
    settings = {
        "admin_token": ADMIN_TOKEN,
        "public_url": "http://test",
        "embedded_broker": True,
        "server_key": SecretStr(SERVER_KEY),
    } | settings
    runtime = Runtime.create(Settings(bootstrap_servers=bootstrap, **settings), clickhouse)
    app = web.Application()
    app[RUNTIME] = runtime
    app.cleanup_ctx.append(runtime_context(runtime))
    add_api_routes(app)
    add_console_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture
async def server(bootstrap: str, clickhouse: ClickHouse) -> AsyncIterator[TestClient]:
    async with open_server(bootstrap, clickhouse) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def api(client: TestClient, method: str, path: str, body: Any, key: str) -> Any:
    async with client.request(
        method, path, json=body, headers={"Authorization": f"Bearer {key}"}
    ) as response:
        assert response.status < 300, await response.text()
        return await response.json() if response.status != 204 else None


async def new_account(client: TestClient, name: str, plan: str = "business") -> str:
    created = await api(client, "POST", "/api/accounts", {"name": name, "plan": plan}, ADMIN_TOKEN)
    return created["api_key"]


class Browser:
    """One cookie jar: what a browser keeps between pages."""

    def __init__(self, server: TestServer) -> None:
        self.base = str(server.make_url("")).rstrip("/")
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def get(self, path: str) -> tuple[int, str, str]:
        async with self.session.get(self.base + path, allow_redirects=False) as response:
            return response.status, response.headers.get("Location", ""), await response.text()

    async def post(
        self, path: str, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        async with self.session.post(
            self.base + path, data=data, allow_redirects=False, headers=headers
        ) as response:
            return response.status, response.headers.get("Location", ""), await response.text()

    async def sign_in(self, key: str) -> str:
        """Sign in; the CSRF token of the signed-in pages."""
        _, _, page = await self.get("/login")
        status, location, _ = await self.post("/login", {"csrf": csrf_of(page), "key": key})
        assert status == 303, location
        _, _, page = await self.get(location)
        return csrf_of(page)


async def test_pages_need_a_session_and_sign_in_takes_the_key_by_post(
    server: TestClient,
) -> None:
    key = await new_account(server, "Loja")
    async with Browser(server.server) as browser:
        assert (await browser.get("/"))[:2] == (303, "/login")
        for path in ("/integrations", "/integrations/new", "/fields", "/leads", "/admin"):
            assert (await browser.get(path))[:2] == (303, "/login"), path
        status, _, page = await browser.get("/login")
        assert status == 200 and 'type="password"' in page
        token = csrf_of(page)
        # without the token, or with a wrong key: refused
        assert (await browser.post("/login", {"key": key}))[0] == 403
        status, _, page = await browser.post("/login", {"csrf": token, "key": "hk_wrong"})
        assert status == 401 and "Chave inválida" in page
        async with browser.session.post(
            browser.base + "/login", data={"csrf": token, "key": key}, allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/integrations"
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and key not in cookie
        status, _, page = await browser.get("/integrations")
        assert status == 200 and "Integrações" in page
        assert key not in page
        # the CSRF token changed at sign-in: the pre-sign-in one no longer counts
        assert (await browser.post("/integrations/new", {"csrf": token, "name": "x"}))[0] == 403


async def test_every_state_change_needs_the_csrf_token(server: TestClient) -> None:
    key = await new_account(server, "Loja")
    async with Browser(server.server) as browser:
        token = await browser.sign_in(key)
        form = {"name": "Hotmart", "platform": "hotmart"}
        assert (await browser.post("/integrations/new", form))[0] == 403
        assert (await browser.post("/integrations/new", {**form, "csrf": "x" + token}))[0] == 403
        evil = {"Origin": "http://evil.example"}
        assert (await browser.post("/integrations/new", {**form, "csrf": token}, evil))[0] == 403
        assert await api(server, "GET", "/api/integrations", None, key) == {"items": []}
        status, location, _ = await browser.post("/integrations/new", {**form, "csrf": token})
        assert status == 303 and location.endswith("/url?new=1")
        (created,) = (await api(server, "GET", "/api/integrations", None, key))["items"]
        assert created["name"] == "Hotmart" and created["platform"] == "hotmart"
        # the JSON previews take the token in a header
        path = f"/integrations/{created['id']}/mapping/preview"
        async with browser.session.post(browser.base + path, json={"event": "event"}) as response:
            assert response.status == 403
        async with browser.session.post(
            browser.base + path, data={"event": "event"}, headers={"X-CSRF-Token": token}
        ) as response:
            assert response.status == 200 and (await response.json())["ok"] is False
        # sign-out needs it too, and ends the session
        assert (await browser.post("/logout", {}))[0] == 403
        status, location, _ = await browser.post("/logout", {"csrf": token})
        assert (status, location) == (303, "/login")
        assert (await browser.get("/integrations"))[:2] == (303, "/login")


async def test_an_account_sees_and_changes_only_its_own(server: TestClient) -> None:
    key_a, key_b = await new_account(server, "Loja A"), await new_account(server, "Loja B")
    mine = await api(server, "POST", "/api/integrations", {"name": "Da loja A"}, key_a)
    async with Browser(server.server) as browser:
        token = await browser.sign_in(key_b)
        _, _, page = await browser.get("/integrations")
        assert "Da loja A" not in page
        for path in ("", "/url", "/edit", "/mapping", "/mapping/edit", "/events", "/delete"):
            status, _, page = await browser.get(f"/integrations/{mine['id']}{path}")
            assert status == 404 and "Da loja A" not in page and mine["url"] not in page, path
        status, _, _ = await browser.post(f"/integrations/{mine['id']}/delete", {"csrf": token})
        assert status == 404
        status, _, _ = await browser.post(
            f"/integrations/{mine['id']}/edit", {"csrf": token, "name": "tomada"}
        )
        assert status == 404
        assert (await browser.get("/admin"))[:2] == (303, "/integrations")
    still = await api(server, "GET", f"/api/integrations/{mine['id']}", None, key_a)
    assert still["name"] == "Da loja A"


async def test_the_admin_signs_in_with_the_admin_token(server: TestClient) -> None:
    async with Browser(server.server) as browser:
        token = await browser.sign_in(ADMIN_TOKEN)
        status, _, page = await browser.get("/admin")
        assert status == 200 and "Contas" in page
        assert (await browser.get("/integrations"))[:2] == (303, "/admin")
        status, _, page = await browser.post(
            "/admin/accounts", {"csrf": token, "name": "Nova", "plan": "pro"}
        )
        assert status == 201
        key = re.search(r'value="(hk_[^"]+)"', page).group(1)
        account = await api(server, "GET", "/api/account", None, key)
        assert account["plan"] == "pro"
        status, _, _ = await browser.post(
            f"/admin/accounts/{account['id']}", {"csrf": token, "plan": "elite"}
        )
        assert status == 303
        assert (await api(server, "GET", "/api/account", None, key))["plan"] == "elite"


async def test_a_plan_without_webhooks_says_why(server: TestClient) -> None:
    key = await new_account(server, "Pequena", plan="pro")
    async with Browser(server.server) as browser:
        token = await browser.sign_in(key)
        _, _, page = await browser.get("/integrations")
        assert "Business ou Elite" in page and "/integrations/new" not in page
        status, _, page = await browser.post(
            "/integrations/new", {"csrf": token, "name": "x", "platform": "generic"}
        )
        assert status == 422 and "Business or Elite" in page


async def test_the_url_can_be_read_again_and_rotated(
    bootstrap: str, clickhouse: ClickHouse
) -> None:
    async with open_server(bootstrap, clickhouse) as server:
        key = await new_account(server, "Loja")
        created = await api(server, "POST", "/api/integrations", {"name": "H"}, key)
        path = f"/api/integrations/{created['id']}/url"
        again = await api(server, "GET", path, None, key)
        assert again["url"] == created["url"]
        rotated = await api(
            server, "POST", f"/api/integrations/{created['id']}/rotate-token", {}, key
        )
        assert (await api(server, "GET", path, None, key))["url"] == rotated["url"] != again["url"]
        other = await new_account(server, "Outra")
        async with server.get(path, headers={"Authorization": f"Bearer {other}"}) as response:
            assert response.status == 404
    # a process without the server key: the URL was shown once; rotation makes a new one
    async with open_server(bootstrap, clickhouse, server_key=None) as server:
        key = await new_account(server, "Loja 2")
        created = await api(server, "POST", "/api/integrations", {"name": "H"}, key)
        async with server.get(
            f"/api/integrations/{created['id']}/url", headers={"Authorization": f"Bearer {key}"}
        ) as response:
            assert response.status == 409 and "rotate-token" in (await response.json())["error"]


async def test_the_session_cookie_is_never_in_a_log_line(
    server: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = await new_account(server, "Loja")
    async with Browser(server.server) as browser:
        await browser.sign_in(key)
        cookie = browser.session.cookie_jar.filter_cookies(URL(browser.base))[SESSION_COOKIE].value
        await browser.get("/integrations")
    assert key not in caplog.text and cookie not in caplog.text
