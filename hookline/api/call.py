"""What a management API handler receives (:class:`Call`) and how it fails
(:class:`ApiError`, turned into ``{"ok": false, "error": ...}`` by the app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import ValidationError

from core.config.state import ConfigState
from hookline.history.store import HistoryStore
from hookline.runtime import Runtime
from schemas.api import ErrorDetail, ErrorOut
from schemas.config import Account, ConfigRecord

R = TypeVar("R", bound=ConfigRecord)

#: How a record kind is named in "not found" messages.
LABELS = {
    "conversion_event": "event",
    "custom_field": "custom field",
    "quick_reply": "quick reply",
    "chatbot_flow": "chatbot flow",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers

    def response(self) -> web.Response:
        body = ErrorOut(error=self.message, details=self.details)
        return web.json_response(
            text=body.model_dump_json(exclude_none=True), status=self.status, headers=self.headers
        )

    @classmethod
    def invalid(cls, exc: ValidationError, where: str) -> ApiError:
        """422 with one readable line per problem; the offending input is left out
        (a secret in a bad field never comes back in the answer)."""
        details = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(part) for part in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            details.append(ErrorDetail(loc=loc or where, message=message))
        summary = "; ".join(
            f"{d.loc}: {d.message}" if d.loc != where else d.message for d in details
        )
        return cls(422, f"invalid {where}: {summary}", details)


def not_found(kind: str) -> ApiError:
    return ApiError(404, f"{LABELS.get(kind, kind)} not found")


@dataclass(frozen=True)
class Call:
    request: web.Request
    runtime: Runtime
    #: The account whose API key authenticated the call; None on admin and public routes.
    caller: Account | None = None
    body: Any = None
    query: Any = None

    @property
    def state(self) -> ConfigState:
        return self.runtime.view.state

    @property
    def account(self) -> Account:
        if self.caller is None:
            raise RuntimeError("this route is not authenticated by an API key")
        return self.caller

    @property
    def history(self) -> HistoryStore:
        """Only on routes declared ``history=True`` (the app answers 503 without ClickHouse)."""
        if self.runtime.clickhouse is None:
            raise RuntimeError("history is not available in this process")
        return HistoryStore(self.runtime.clickhouse)

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def owned(self, cls: type[R], record_id: str) -> R:
        """The caller's record of that kind, else 404: another tenant's id looks unknown."""
        kind: str = cls.model_fields["kind"].default
        record = self.state.get(kind, record_id)
        if not isinstance(record, cls) or record.owner != self.account.id:
            raise not_found(kind)
        return record
