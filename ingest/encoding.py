"""``Content-Encoding`` of request bodies: gzip and deflate are decoded with a cap on
the decoded size (a zip bomb is a 413, never a process out of memory). Pure.

The gateway turns aiohttp's own decoding off (``auto_decompress=False``) so that
every body goes through here: one cap, one set of error messages, and codings aiohttp
leaves alone (``x-gzip``, ``gzip, gzip``) decoded too.
"""

from __future__ import annotations

import zlib

from ingest.refusal import Refused

#: Codings decoded here; ``identity`` means none.
SUPPORTED = ("gzip", "x-gzip", "deflate", "identity")
#: More layers than this is not something a platform does.
MAX_LAYERS = 3
_CHUNK = 64 * 1024


def codings(header: str | None) -> list[str]:
    """The codings applied to the body, in the order they were applied."""
    names = [part.strip().lower() for part in (header or "").split(",")]
    return [name for name in names if name and name != "identity"]


def _inflate(data: bytes, wbits: int, limit: int, name: str) -> bytes:
    """Decode one layer; gzip may hold several members one after another."""
    out = bytearray()
    rest = data
    while True:
        decoder = zlib.decompressobj(wbits)
        pending = rest
        while pending:
            try:
                out += decoder.decompress(pending, limit + 1 - len(out))
            except zlib.error as exc:
                raise Refused(400, f"body is not valid {name} ({exc})") from None
            if len(out) > limit:
                raise Refused(413, f"decoded body larger than {limit} bytes", limit=limit)
            pending = decoder.unconsumed_tail
        if not decoder.eof:
            raise Refused(400, f"body is not valid {name} (truncated)")
        rest = decoder.unused_data
        if wbits != 16 + zlib.MAX_WBITS or not rest.strip(b"\0"):
            return bytes(out)


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
