"""Credentials that travel inside webhook bodies, masked wherever a body is kept for
people to read (history, the rejected-requests log). Pure.

The raw body on ``hookline.webhooks`` is never touched: it is what signatures are
verified against and what a replay sends again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: Body fields that carry a platform's static token (Hotmart ``hottok``, Ticto ``token``,
#: Eduzz legacy ``origin_secret``/``api_key``). Matched case-insensitively, at any depth.
CREDENTIAL_FIELDS = frozenset({"hottok", "token", "origin_secret", "api_key"})
MASK = "***"
#: Secrets shorter than this are not searched for in text (too many false hits).
MIN_SECRET_LENGTH = 6

_NAMES = "|".join(sorted(CREDENTIAL_FIELDS))
_PATTERNS = (
    # JSON: "hottok": "value" (escaped quotes inside) or "hottok": 12345
    re.compile(
        rf'("(?i:{_NAMES})"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)',
    ),
    # Form: hottok=value up to the next & (also at the start of the body)
    re.compile(rf"((?:^|&)(?i:{_NAMES})=)([^&]*)"),
    # Multipart: name="hottok" then a blank line, then the value up to the line end
    re.compile(rf'(name="(?i:{_NAMES})"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)'),
    # XML: <hottok>value</hottok>
    re.compile(rf"(<((?i:{_NAMES}))>)([^<]*)(?=</\2>)"),
)


def mask_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with credential field values, and any of ``secrets``, replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    json_like, form, multipart, xml = _PATTERNS
    text = json_like.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    text = form.sub(lambda m: m.group(1) + MASK, text)
    text = multipart.sub(lambda m: m.group(1) + MASK, text)
    return xml.sub(lambda m: m.group(1) + MASK, text)


def mask_data(data: Any) -> Any:
    """A copy of parsed body data with credential fields' values masked, at any depth."""
    if isinstance(data, dict):
        return {
            key: MASK
            if isinstance(key, str) and key.lower() in CREDENTIAL_FIELDS
            else mask_data(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [mask_data(item) for item in data]
    return data
