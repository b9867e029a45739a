"""The benchmarks' HTTP client: answers read whole over one kept-alive connection, and
anything it cannot read surely (no Content-Length, a closed connection) is an error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from bench.loadgen import Connection

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
StartServer = Callable[[Handler], Awaitable[str]]
#: The echo server's URL, and the path, body and peer of each request it saw.
Echo = tuple[str, list[tuple[str, bytes, object]]]


async def _serve_aiohttp(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/hooks/abc?x=1"


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    """An aiohttp server answering each POST with its body, and what it saw of each."""
    seen: list[tuple[str, bytes, object]] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append((request.path_qs, body, peer))
        return web.json_response({"got": len(body)}, status=200 if body else 400)

    app = web.Application()
    app.router.add_post("/hooks/{token}", handle)
    runner, url = await _serve_aiohttp(app)
    try:
        yield url, seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def raw_server() -> AsyncIterator[StartServer]:
    """Starts plain socket servers that answer as the test writes them."""
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


async def test_answers_come_back_in_order_on_one_connection(echo: Echo) -> None:
    url, seen = echo
    connection = await Connection.open(url)
    try:
        assert await connection.post(b'{"a": 1}') == (200, b'{"got": 8}')
        assert await connection.post(b"") == (400, b'{"got": 0}')
        assert await connection.post(b"x" * 100_000) == (200, b'{"got": 100000}')
    finally:
        connection.close()
    assert [(path, body[:8]) for path, body, _ in seen] == [
        ("/hooks/abc?x=1", b'{"a": 1}'),
        ("/hooks/abc?x=1", b""),
        ("/hooks/abc?x=1", b"x" * 8),
    ]
    assert len({peer for _, _, peer in seen}) == 1  # kept alive


async def test_an_answer_in_pieces_is_read_whole(raw_server: StartServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            await _read_request(reader)
            for piece in (b"HTTP/1.1 201 Created\r\nConte", b"nt-Length: 5\r\n\r\nhel", b"lo"):
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.01)
        writer.close()

    connection = await Connection.open(await raw_server(handler))
    try:
        assert await connection.post(b"{}") == (201, b"hello")
        assert await connection.post(b"{}") == (201, b"hello")
    finally:
        connection.close()


def answer_once(answer: bytes, then_close: bool) -> Handler:
    """A server that reads one request and writes ``answer``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()
        if not then_close:
            await reader.read()  # until the client closes its end
        writer.close()

    return handler


async def test_an_answer_without_content_length_is_an_error(raw_server: StartServer) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    connection = await Connection.open(await raw_server(answer_once(chunked, False)))
    try:
        with pytest.raises(ValueError, match="without Content-Length"):
            await connection.post(b"{}")
    finally:
        connection.close()


async def test_a_closed_connection_fails_the_request_and_the_next(raw_server: StartServer) -> None:
    cut_short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"
    connection = await Connection.open(await raw_server(answer_once(cut_short, True)))
    try:
        with pytest.raises(ConnectionError):
            await connection.post(b"{}")
        with pytest.raises(ConnectionError):
            await connection.post(b"{}")
    finally:
        connection.close()


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1:1/hooks/x", "http://127.0.0.1/hooks/x", "/hooks/x"]
)
async def test_only_plain_http_urls_with_a_port(url: str) -> None:
    with pytest.raises(ValueError, match="http://host:port/"):
        await Connection.open(url)
