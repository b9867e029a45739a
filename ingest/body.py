"""Reading a webhook body under the size limit and a deadline: a declared
``Content-Length`` over the limit is refused before reading, a streamed (chunked)
body as soon as it passes it, and a body that stops arriving gets a 408."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from ingest.refusal import Refused

CHUNK = 64 * 1024


class BodyTooLarge(Refused):
    def __init__(self, limit: int, received: int) -> None:
        super().__init__(413, f"body larger than {limit} bytes", limit=limit)
        #: Bytes declared or read when the limit was passed.
        self.received = received


async def read_body(request: web.Request, limit: int, timeout: float) -> bytes:
    """The raw body as received (still encoded), or :class:`Refused`: 413 (too large),
    408 (not all there after ``timeout`` seconds) or 400 (broken off, bad chunking)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit, request.content_length)
    if request.content.is_eof():
        # Usual for webhooks: the whole (small) body came with the headers and is
        # buffered already; no deadline or chunk loop needed to take it.
        body = request.content.read_nowait()
        if len(body) > limit:  # no Content-Length (chunked), all of it buffered
            raise BodyTooLarge(limit, len(body))
        return body
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit, size)
                chunks.append(chunk)
    except TimeoutError:
        raise Refused(408, f"body not received within {timeout:g} s") from None
    except (RequestPayloadError, ConnectionResetError) as exc:
        raise Refused(400, f"body could not be read: {exc}".replace("\n", " ")) from None
    return b"".join(chunks)
