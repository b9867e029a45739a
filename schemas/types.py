"""Shared vocabulary: ids, plans, time helpers, the secret-field marker."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BaseModel, Field, SecretBytes, SecretStr

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


class _SecretMarker:
    """See :data:`Secret`."""

    def __repr__(self) -> str:
        return "Secret"


#: Marks a field that holds a credential: ``secret: Annotated[str | None, Secret]``. What
#: is kept for people to read (the config audit log) holds its :func:`fingerprint`
#: instead (:func:`redact_secrets`); a dict or list of secrets, value by value. Marking
#: the field is all a new record kind has to do.
Secret: Final = _SecretMarker()


def fingerprint(secret: str) -> str:
    """Tells secrets apart (a change shows in the audit log) without revealing them."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` marked :data:`Secret` (not those of nested models)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if any(item is Secret for item in field.metadata)
    )


def redact_secrets(record: BaseModel) -> dict[str, Any]:
    """``record`` as JSON data with every :data:`Secret` field, at any depth, replaced
    by its fingerprint."""
    data = record.model_dump(mode="json")
    hidden = secret_fields(type(record))
    for name in type(record).model_fields.keys() & data.keys():  # not excluded fields
        value = getattr(record, name)
        data[name] = _fingerprinted(value) if name in hidden else _nested(value, data[name])
    return data


def _nested(value: Any, dumped: Any) -> Any:
    """``dumped`` (the JSON data of ``value``) with the secrets of models inside redacted."""
    if isinstance(value, BaseModel):
        return redact_secrets(value)
    if isinstance(value, list | tuple):
        return [_nested(item, out) for item, out in zip(value, dumped, strict=True)]
    if isinstance(value, Mapping):
        pairs = zip(value.values(), dumped.items(), strict=True)
        return {key: _nested(item, out) for item, (key, out) in pairs}
    return dumped


def _fingerprinted(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, SecretStr | SecretBytes):  # dumped as "**********": read it here
        value = value.get_secret_value()
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, Mapping):
        return {str(key): _fingerprinted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fingerprinted(item) for item in value]
    return fingerprint(str(value))
