"""How a gateway step refuses a request: one exception, turned into a JSON answer."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """The request is answered ``status`` with ``{"ok": false, "error": reason, **extra}``.

    ``reason`` is said to the sender as is: it never holds a secret.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.extra = extra
