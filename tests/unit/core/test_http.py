"""The middleware every route shares (core/http.py): once the app is draining, each
answer closes its connection, so a client does not send its next request down a
keep-alive connection the server is about to close. Real sockets against a real
aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from core.http import ACCESS_LOG, DRAINING, request_context
from hookline.embedded.broker import free_port

REQUEST = b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


@contextlib.asynccontextmanager
async def server() -> AsyncIterator[tuple[web.Application, int]]:
    async def hook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[request_context])
    app[ACCESS_LOG] = "off"
    app[DRAINING] = asyncio.Event()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield app, port
    finally:
        await runner.cleanup()


async def answer_then_closed(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    """The next answer's head, and whether the server closed the connection after it."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    await reader.readexactly(length)
    try:
        rest = await asyncio.wait_for(reader.read(1), 0.5)
    except TimeoutError:
        return head, False  # still open: kept alive
    return head, rest == b""


async def test_answers_close_their_connection_once_draining() -> None:
    async with server() as (app, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(REQUEST)
            head, closed = await answer_then_closed(reader)
            assert b" 200 " in head and not closed
            assert b"connection: close" not in head.lower()

            app[DRAINING].set()
            writer.write(REQUEST)  # the same kept-alive connection
            head, closed = await answer_then_closed(reader)
            assert b" 200 " in head
            assert b"connection: close" in head.lower()
            assert closed
        finally:
            writer.close()
