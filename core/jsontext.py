"""JSON text read and written by msgspec's C codec, answering as the standard library's
``json`` does: every webhook body is read once by the gateway and once by a worker, and
written once more into its history record; the history sink writes each webhook row's
fields and headers as JSON. On 4 KB bodies of ``../shared/samples``: reading 14.6 → 7.4
µs, writing 17.3 → 3.1 µs.

What ``json`` decides stays ``json``'s. msgspec refuses a few texts ``json`` reads
(numbers beyond a float's range such as ``1e400``, which ``json`` reads as infinity;
lone surrogate escapes such as ``"\\ud800"``) and reports malformed JSON in its own
words; each refusal is handed to ``json``, so the data, what is refused and the error
message with its position are the reference decoder's. ``tests/unit/core/test_jsontext.py``
checks both directions against ``json`` on generated texts and every code point.

Writing differs from ``json.dumps(data, ensure_ascii=False)`` only in layout: no space
after ``,`` and ``:``, and floats in their shortest form (``1e100``, not ``1e+100``); a
non-finite float is ``null`` (``json`` writes ``Infinity``, which is not JSON). Every
character is escaped as ``json`` escapes it (all code points checked). A value msgspec
cannot write (a str holding a lone surrogate) is written by ``json``.

Why msgspec and not orjson: orjson reads an integer past 64 bits as a float, with no
error to fall back on (``123456789012345678901234567890`` comes back as ``1.23e+29``),
and cannot write one; a body's big ints must stay ints (``core/body.py``)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

_DECODE = msgspec.json.Decoder().decode
#: Types neither JSON nor msgspec knows are written as their ``str``, as ``default=str``
#: has ``json`` do. msgspec writes a few more itself (datetimes in ISO form, bytes in
#: base64), which the data written here, decoded bodies and their fields, never holds.
_ENCODE = msgspec.json.Encoder(enc_hook=str).encode
_REFERENCE_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: ``json.loads`` less ``NaN`` and ``Infinity``, which are not JSON (msgspec refuses
#: them too). One decoder for all: ``json.loads(text, parse_constant=...)`` builds one
#: per call (and checks for a BOM, which ``loads`` does here).
_REFERENCE_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str) -> Any:
    """The JSON value of ``text``. Raises as ``json.loads`` does (``json.JSONDecodeError``
    with the position; ``ValueError`` for ``NaN``; ``RecursionError`` for absurd nesting)."""
    try:
        return _DECODE(text)
    except (msgspec.MsgspecError, RecursionError):
        if text.startswith("\ufeff"):  # what json.loads refuses before decoding
            raise json.JSONDecodeError(
                "Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0
            ) from None
        return _REFERENCE_DECODER.decode(text)


def dumps(data: Any) -> str:
    """``data`` as compact JSON text, non-ASCII characters as they are."""
    try:
        return _ENCODE(data).decode()
    except (UnicodeEncodeError, TypeError, msgspec.EncodeError, RecursionError):
        return _REFERENCE_ENCODER.encode(data)
