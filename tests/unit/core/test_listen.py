"""core/listen.py and ``stop_serving``: a server that stops answers the connections the
kernel had queued for it instead of resetting them, and refuses the ones after."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from core.http import DRAINING
from core.listen import bind, refuse_new_connections
from hookline.server import stop_serving
from tests.ci import unavailable

REQUEST = b"GET / HTTP/1.1\r\nHost: hookline\r\n\r\n"


def connect(address: tuple[str, int], timeout: float = 5.0) -> socket.socket:
    """A blocking connection: the kernel completes it whether or not anything accepts."""
    return socket.create_connection(address, timeout=timeout)


def answer(client: socket.socket) -> bytes:
    """Everything the server wrote before it closed the connection (raises when the
    connection was reset instead)."""
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_new_connections_are_dropped_and_queued_ones_kept(host: str) -> None:
    try:
        (listening,) = bind(host, 0)
    except OSError as exc:
        unavailable(f"cannot listen on {host}: {exc}")
    address = listening.getsockname()[:2]
    queued = [connect(address) for _ in range(3)]
    try:
        assert refuse_new_connections([listening])
        with pytest.raises(TimeoutError):  # its SYN is dropped: no answer, no reset
            connect(address, timeout=0.3)
        listening.setblocking(True)
        for client in queued:
            # Accepted after the filter, which it inherits: a whole request and answer
            # pass both ways (only a connection's opening SYN is dropped).
            accepted, _ = listening.accept()
            client.sendall(b"p" * 100_000)
            received = b""
            while len(received) < 100_000:
                received += accepted.recv(65536)
            accepted.sendall(b"a" * 100_000)
            answered = b""
            while len(answered) < 100_000:
                answered += client.recv(65536)
            accepted.close()
        listening.close()
        with pytest.raises(ConnectionRefusedError):  # once closed: refused, as before
            connect(address)
    finally:
        for client in queued:
            client.close()
        listening.close()


@pytest.fixture
async def serving() -> AsyncIterator[tuple[web.AppRunner, socket.socket]]:
    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="served")

    app = web.Application()
    app[DRAINING] = asyncio.Event()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    (listening,) = bind("127.0.0.1", 0)
    await web.SockSite(runner, listening).start()
    try:
        yield runner, listening
    finally:
        await runner.cleanup()
        listening.close()


async def test_connections_queued_when_the_server_stops_are_answered(
    serving: tuple[web.AppRunner, socket.socket],
) -> None:
    """Connected and their request written while the loop is busy (nothing accepted
    yet), then the server stops: each gets its answer."""
    runner, listening = serving
    clients = [connect(listening.getsockname()) for _ in range(5)]
    try:
        for client in clients:
            client.sendall(REQUEST)
        await stop_serving(runner, closing=[listening])
        listening.close()
        answers = [await asyncio.to_thread(answer, client) for client in clients]
    finally:
        for client in clients:
            client.close()
    assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(b"served") for a in answers), answers


async def test_without_the_sockets_to_close_queued_connections_are_reset(
    serving: tuple[web.AppRunner, socket.socket],
) -> None:
    """Why ``closing`` exists: a listening socket closed with connections in its queue
    resets them, requests written and all (what the gateway did before)."""
    runner, listening = serving
    clients = [connect(listening.getsockname()) for _ in range(5)]
    try:
        for client in clients:
            client.sendall(REQUEST)
        await stop_serving(runner)  # the server's socket is this one: it closes now
        for client in clients:
            with pytest.raises(ConnectionResetError):
                await asyncio.to_thread(answer, client)
    finally:
        for client in clients:
            client.close()
