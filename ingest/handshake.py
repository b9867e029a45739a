"""Platform handshakes: requests that check the URL works and carry no event. They
are answered 200 and written as ``kind="ping"`` (history status ``ping``). Pure.

- WooCommerce, when a webhook is created: the form body ``webhook_id=<id>`` alone.
- VTEX, when the orders hook is configured: ``{"hookConfig": "ping"}``.
- Any platform testing the URL with an empty POST (no body, no query string).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

_WOOCOMMERCE = re.compile(rb"webhook_id=[0-9]{1,20}")
#: A VTEX ping is a few bytes; anything larger is not one.
_MAX_PING_BYTES = 1024


def handshake(body: bytes, query: Mapping[str, Sequence[str]]) -> str | None:
    """The handshake this request is (``woocommerce``, ``vtex`` or ``empty``), else None."""
    stripped = body.strip()
    if not stripped:
        return "empty" if not query else None
    if _WOOCOMMERCE.fullmatch(stripped):
        return "woocommerce"
    if stripped[:1] == b"{" and len(stripped) <= _MAX_PING_BYTES and b"hookConfig" in stripped:
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        if isinstance(data, dict) and data.get("hookConfig") == "ping":
            return "vtex"
    return None
