"""Shared vocabulary: ids, plans, time helpers."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field

#: Random ids are not secrets (tokens are); 64 bits keep them short and unique.
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z]+_[0-9a-f]+$")]
E164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,15}$")]
Timestamp = AwareDatetime


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Plan(StrEnum):
    basic = "basic"
    pro = "pro"
    business = "business"
    elite = "elite"

    @property
    def allows_webhooks(self) -> bool:
        return self in (Plan.business, Plan.elite)
