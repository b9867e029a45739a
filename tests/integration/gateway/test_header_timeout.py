"""Every HTTP server hookline starts closes a connection whose request line and headers
never finish (``HOOKLINE_HEADER_TIMEOUT_SECONDS``; hookline/server.py ``server_options``).

Raw sockets, because an HTTP client always finishes its headers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from core.settings import Settings
from hookline.embedded.broker import free_port
from hookline.runtime import Runtime
from hookline.server import build_http_app, server_options
from tests.integration.gateway.gateway_env import TEST_SETTINGS

pytestmark = [pytest.mark.kafka]

TIMEOUT = 1.0
#: Time allowed past the timeout for the close to be seen (a loaded CI machine).
SLACK = 2.0


async def seconds_until_closed(port: int, sent: bytes) -> float:
    """Send ``sent`` (a request that never ends) and time how long the server takes
    to close the connection; fails if it answers anything."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.perf_counter()
    try:
        writer.write(sent)
        await writer.drain()
        async with asyncio.timeout(TIMEOUT + SLACK):
            rest = await reader.read()
        assert rest == b"", rest
        return time.perf_counter() - started
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def answer(port: int, request: bytes, pause: float = 0.0) -> bytes:
    """The first answer to ``request``, sent in two halves ``pause`` seconds apart."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        half = len(request) // 2
        writer.write(request[:half])
        await asyncio.sleep(pause)
        writer.write(request[half:])
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


@asynccontextmanager
async def dev_server(bootstrap: str) -> AsyncIterator[int]:
    """The front server as ``hookline dev`` builds it (AppRunner + TCPSite)."""
    settings = Settings(
        bootstrap_servers=bootstrap, header_timeout_seconds=TIMEOUT, **TEST_SETTINGS
    )
    runner = web.AppRunner(build_http_app(Runtime.create(settings)), **server_options(settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


PARTIAL = {
    "request line": b"POST /hooks/abc",
    "headers": b"POST /hooks/abc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
}


@pytest.mark.parametrize("partial", list(PARTIAL))
async def test_unfinished_headers_are_cut_off(bootstrap: str, partial: str) -> None:
    async with dev_server(bootstrap) as port:
        assert await seconds_until_closed(port, PARTIAL[partial]) >= TIMEOUT * 0.9


async def test_after_an_answer_the_next_headers_get_the_same_timeout(bootstrap: str) -> None:
    async with dev_server(bootstrap) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            await reader.readuntil(b"}")
            writer.write(PARTIAL["headers"])
            async with asyncio.timeout(TIMEOUT + SLACK):
                assert await reader.read() == b""
        finally:
            writer.close()


async def test_slow_headers_that_finish_in_time_are_answered(bootstrap: str) -> None:
    async with dev_server(bootstrap) as port:
        head = await answer(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", TIMEOUT / 2)
        assert head.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("command", ["gateway", "api"])
async def test_the_gateway_and_api_commands_cut_unfinished_headers_off(
    bootstrap: str, command: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HOOKLINE_BOOTSTRAP_SERVERS": bootstrap,
        "HOOKLINE_EMBEDDED_BROKER": "true",  # the tests' broker is tansu
        "HOOKLINE_CLICKHOUSE_DSN": f"chdb://{tmp_path}",
        "HOOKLINE_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "HOOKLINE_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookline.cli", command, "--host", "127.0.0.1", "--port", str(port),
        env=env, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            while True:  # /metrics is served by both
                with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                    head = await answer(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    if head.startswith(b"HTTP/1.1 200"):
                        break
                await asyncio.sleep(0.2)
        assert await seconds_until_closed(port, PARTIAL["headers"]) >= TIMEOUT * 0.9
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
