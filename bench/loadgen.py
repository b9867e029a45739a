"""A cheap HTTP/1.1 load generator for benchmarks that share the machine with what
they measure.

``bench/e2e.py`` drives the whole pipeline from the same two cores it runs on. With
aiohttp's client, sending a webhook and reading its answer cost the benchmark's
process 141 µs of CPU a request: at 1,000 webhooks/s, 14% of a core taken from the
gateway, the broker and the workers. :class:`Connection` writes a request built in
one piece on a kept-alive connection and reads the answer's status line and
``Content-Length`` body, nothing more (``bench/e2e.py`` prints the generator's CPU a
request with either client: ``--client``).

It is a client for hookline's own answers (aiohttp servers, which always send
``Content-Length``): an answer without it, or a connection closed mid-answer, is an
error, never a guess."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class Connection(asyncio.Protocol):
    """One kept-alive connection, one request at a time."""

    def __init__(self, head: bytes) -> None:
        #: The request line and headers of every POST, less Content-Length.
        self._head = head
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._lost: BaseException | None = None

    @classmethod
    async def open(cls, url: str) -> Connection:
        """A connection to ``url``'s host, for POSTs to its path."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"an http://host:port/ URL is needed, not {url!r}")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(
            lambda: cls(head.encode()), parts.hostname, parts.port
        )
        return connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionError("the server closed the connection")
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(self._lost)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answer = self._answer
        if answer is None or answer.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).decode("latin-1")
        length = None
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            answer.set_exception(ValueError(f"an answer without Content-Length: {head!r}"))
            return
        if len(self._buffer) < end + 4 + length:
            return
        body = bytes(self._buffer[end + 4 : end + 4 + length])
        del self._buffer[: end + 4 + length]
        answer.set_result((int(head.split(" ", 2)[1]), body))

    async def post(self, body: bytes) -> tuple[int, bytes]:
        """(status, body) of POSTing ``body``."""
        if self._lost is not None:
            raise self._lost
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body))
        try:
            return await self._answer
        finally:
            self._answer = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
