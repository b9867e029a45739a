"""``Content-Encoding`` of request bodies: gzip and deflate are decoded with a cap on
the decoded size (a zip bomb is a 413, never a process out of memory) and on the work
done (time linear in the body, a cap on gzip members). :func:`decode_body` is pure;
:func:`decode` runs it off the event loop for large bodies.

The gateway turns aiohttp's own decoding off (``auto_decompress=False``) so that
every body goes through here: one cap, one set of error messages, and codings aiohttp
leaves alone (``x-gzip``, ``gzip, gzip``) decoded too.
"""

from __future__ import annotations

import asyncio
import zlib

from ingest.refusal import Refused

#: Codings decoded here; ``identity`` means none.
SUPPORTED = ("gzip", "x-gzip", "deflate", "identity")
#: More layers than this is not something a platform does.
MAX_LAYERS = 3
#: Concatenated gzip members are one body (RFC 1952), but a sender has no reason to
#: send thousands: past this many the body is refused rather than decoded.
MAX_GZIP_MEMBERS = 1000
#: Encoded bodies larger than this are decoded in a worker thread (zlib releases the
#: GIL), so health checks and other requests are answered meanwhile.
OFF_LOOP_BYTES = 64 * 1024
#: Input is fed to zlib in windows that start small and double up to ``_CHUNK``: what
#: zlib copies back after a member ends (``unused_data``) is then at most about the
#: member's own size, so many small members cost time linear in the body, not quadratic.
_FIRST_WINDOW = 512
_CHUNK = 64 * 1024


def codings(header: str | None) -> list[str]:
    """The codings applied to the body, in the order they were applied."""
    names = [part.strip().lower() for part in (header or "").split(",")]
    return [name for name in names if name and name != "identity"]


def _inflate(data: bytes, wbits: int, limit: int, name: str) -> bytes:
    """Decode one layer; gzip may hold several members one after another (and NUL
    padding after the last, which some gzip writers add)."""
    gzip = wbits == 16 + zlib.MAX_WBITS
    view = memoryview(data)
    out = bytearray()
    pos = 0
    for _ in range(MAX_GZIP_MEMBERS if gzip else 1):
        decoder = zlib.decompressobj(wbits)
        window = _FIRST_WINDOW
        while not decoder.eof:
            if pos >= len(data):
                raise Refused(400, f"body is not valid {name} (truncated)")
            pending: bytes | memoryview = view[pos : pos + window]
            pos += len(pending)
            window = min(2 * window, _CHUNK)
            while pending and not decoder.eof:
                try:
                    out += decoder.decompress(pending, limit + 1 - len(out))
                except zlib.error as exc:
                    raise Refused(400, f"body is not valid {name} ({exc})") from None
                if len(out) > limit:
                    raise Refused(413, f"decoded body larger than {limit} bytes", limit=limit)
                pending = decoder.unconsumed_tail
        pos -= len(decoder.unused_data)  # what the window held past this member's end
        if not gzip or pos == len(data):
            return bytes(out)
        if data[pos] == 0:  # padding: the rest must be NULs (read once, at the end)
            if data.count(0, pos) == len(data) - pos:
                return bytes(out)
            raise Refused(400, f"body is not valid {name} (data after the padding)")
    raise Refused(400, f"body has more than {MAX_GZIP_MEMBERS} gzip members")


def _deflate(data: bytes, limit: int) -> bytes:
    # RFC 9110 deflate is zlib-wrapped; some senders send raw deflate: accept both.
    if data[:1] and data[0] & 0x0F == 8:
        return _inflate(data, zlib.MAX_WBITS, limit, "deflate")
    return _inflate(data, -zlib.MAX_WBITS, limit, "deflate")


def decode_body(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The body with every coding undone, or :class:`Refused` 400 (corrupt),
    413 (decoded size over ``limit``) or 415 (a coding not supported)."""
    applied = codings(content_encoding)
    if not body:  # nothing was encoded: some senders label empty bodies anyway
        return body
    if len(applied) > MAX_LAYERS:
        raise Refused(415, f"more than {MAX_LAYERS} content codings", supported=list(SUPPORTED))
    for name in reversed(applied):
        if name in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS, limit, "gzip")
        elif name == "deflate":
            body = _deflate(body, limit)
        else:
            raise Refused(
                415, f"unsupported Content-Encoding {name[:40]!r}", supported=list(SUPPORTED)
            )
    return body


async def decode(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """:func:`decode_body`, in a worker thread when the body is large enough for its
    decoding to hold up the event loop."""
    if len(body) <= OFF_LOOP_BYTES or not codings(content_encoding):
        return decode_body(body, content_encoding, limit)
    return await asyncio.to_thread(decode_body, body, content_encoding, limit)
