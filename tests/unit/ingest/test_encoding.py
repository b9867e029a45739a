"""Content-Encoding decoding under a cap (ingest/encoding.py)."""

from __future__ import annotations

import gzip
import os
import threading
import time
import zlib

import pytest

from ingest import encoding
from ingest.encoding import MAX_GZIP_MEMBERS, OFF_LOOP_BYTES, codings, decode, decode_body
from ingest.refusal import Refused

BODY = b'{"event": "PURCHASE_APPROVED", "buyer": {"name": "Ana"}}' * 20
LIMIT = 64 * 1024


def raw_deflate(data: bytes) -> bytes:
    encoder = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return encoder.compress(data) + encoder.flush()


def refusal(body: bytes, header: str, limit: int = LIMIT) -> Refused:
    with pytest.raises(Refused) as info:
        decode_body(body, header, limit)
    return info.value


@pytest.mark.parametrize(
    ("encoded", "header"),
    [
        (BODY, None),
        (BODY, ""),
        (BODY, "identity"),
        (gzip.compress(BODY), "gzip"),
        (gzip.compress(BODY), "GZIP"),
        (gzip.compress(BODY), "x-gzip"),
        (zlib.compress(BODY), "deflate"),
        (raw_deflate(BODY), "deflate"),
        (gzip.compress(gzip.compress(BODY)), "gzip, gzip"),
        (gzip.compress(zlib.compress(BODY)), "deflate, identity, gzip"),
        # Two gzip members one after the other are one body (RFC 1952).
        (gzip.compress(BODY[:100]) + gzip.compress(BODY[100:]), "gzip"),
    ],
)
def test_decodes(encoded: bytes, header: str | None) -> None:
    assert decode_body(encoded, header, LIMIT) == BODY


def test_an_empty_body_stays_empty_whatever_the_label() -> None:
    assert decode_body(b"", "gzip", LIMIT) == b""


def test_a_zip_bomb_is_a_413_without_decoding_it_all() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < LIMIT
    refused = refusal(bomb, "gzip")
    assert (refused.status, refused.reason) == (413, f"decoded body larger than {LIMIT} bytes")
    assert refused.extra == {"limit": LIMIT}


def test_exactly_the_limit_is_accepted() -> None:
    assert len(decode_body(gzip.compress(b"a" * LIMIT), "gzip", LIMIT)) == LIMIT
    assert refusal(gzip.compress(b"a" * (LIMIT + 1)), "gzip").status == 413


@pytest.mark.parametrize(
    ("encoded", "header", "reason"),
    [
        (b"not gzip at all", "gzip", "body is not valid gzip (Error -3 while decompressing"),
        (gzip.compress(BODY)[:-12], "gzip", "body is not valid gzip (truncated)"),
        (gzip.compress(BODY) + b"garbage", "gzip", "body is not valid gzip"),
        (b"\x78\x9cnot deflate", "deflate", "body is not valid deflate"),
    ],
)
def test_corrupt_bodies_are_a_400_with_the_reason(encoded: bytes, header: str, reason: str) -> None:
    refused = refusal(encoded, header)
    assert refused.status == 400 and refused.reason.startswith(reason)


@pytest.mark.parametrize("header", ["br", "zstd", "compress", "gzip, br", "x" * 500])
def test_unsupported_codings_are_a_415(header: str) -> None:
    refused = refusal(b"data", header)
    assert refused.status == 415 and "unsupported Content-Encoding" in refused.reason
    assert len(refused.reason) < 100
    assert refused.extra["supported"] == ["gzip", "x-gzip", "deflate", "identity"]


def test_more_than_three_layers_is_a_415() -> None:
    assert refusal(b"data", "gzip, gzip, gzip, gzip").status == 415


def test_codings_lists_the_applied_order() -> None:
    assert codings(" GZIP , identity,, deflate ") == ["gzip", "deflate"]
    assert codings(None) == []


# -- many gzip members -----------------------------------------------------------------
EMPTY_MEMBER = gzip.compress(b"")


def test_members_up_to_the_cap_decode_and_padding_after_them_is_ignored() -> None:
    parts = [BODY[i : i + 2] for i in range(0, MAX_GZIP_MEMBERS * 2, 2)]
    encoded = b"".join(gzip.compress(part) for part in parts)
    assert decode_body(encoded, "gzip", LIMIT) == b"".join(parts)
    assert decode_body(gzip.compress(BODY) + b"\0" * 100, "gzip", LIMIT) == BODY
    refused = refusal(gzip.compress(BODY) + b"\0\0" + gzip.compress(BODY), "gzip")
    assert (refused.status, refused.reason) == (
        400,
        "body is not valid gzip (data after the padding)",
    )


def test_past_the_member_cap_is_a_400_found_at_once() -> None:
    # 52,000 empty members in 1 MiB took 1.2 s of event-loop time before.
    body = EMPTY_MEMBER * (1024 * 1024 // len(EMPTY_MEMBER))
    started = time.perf_counter()
    refused = refusal(body, "gzip", 1024 * 1024)
    assert time.perf_counter() - started < 0.3
    assert (refused.status, refused.reason) == (
        400,
        f"body has more than {MAX_GZIP_MEMBERS} gzip members",
    )


def test_decoding_members_is_linear_in_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the cap, 52,000 members must still be decoded in linear time: zlib hands
    # back what follows a member, and that copy must not be the whole rest of the body.
    monkeypatch.setattr(encoding, "MAX_GZIP_MEMBERS", 10**6)
    body = EMPTY_MEMBER * (1024 * 1024 // len(EMPTY_MEMBER))
    started = time.perf_counter()
    assert decode_body(body, "gzip", 1024 * 1024) == b""
    assert time.perf_counter() - started < 0.3


async def test_large_bodies_are_decoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def recording(body: bytes, header: str | None, limit: int) -> bytes:
        threads.append(threading.get_ident())
        return decode_body(body, header, limit)

    monkeypatch.setattr(encoding, "decode_body", recording)
    small = gzip.compress(BODY)
    large = gzip.compress(os.urandom(OFF_LOOP_BYTES))
    assert len(small) <= OFF_LOOP_BYTES < len(large)
    assert await decode(small, "gzip", LIMIT) == BODY
    assert len(await decode(large, "gzip", 2 * OFF_LOOP_BYTES)) == OFF_LOOP_BYTES
    assert threads[0] == threading.get_ident() != threads[1]
