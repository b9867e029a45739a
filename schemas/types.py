"""Shared vocabulary: ids, plans, time helpers, the secret-field marker."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache, partial
from typing import Annotated, Any, Final, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, SecretBytes, SecretStr

#: Random ids are not secrets (tokens are); 64 bits keep them short and unique.
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z]+_[0-9a-f]+$")]
_E164_DIGITS = r"\+[1-9][0-9]{6,15}"
E164 = Annotated[str, Field(pattern=f"^{_E164_DIGITS}$")]
_E164 = re.compile(_E164_DIGITS)


def is_e164(phone: str) -> bool:
    """Whether ``phone`` is what :data:`E164` accepts."""
    return _E164.fullmatch(phone) is not None


Timestamp = AwareDatetime


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def utcnow() -> datetime:
    return datetime.now(UTC)


M = TypeVar("M", bound=BaseModel)


def assembled(model: type[M], **values: Any) -> M:
    """``model(**values)`` without validating ``values``: for values that have the model's
    types already (read from validated records, or made to those types by our code) on
    the worker's hot paths, where validating them again was a measurable part of the CPU
    per webhook. Fields left out take their defaults, as validation gives them; nothing
    else is done: no validator runs and nothing is copied (pass lists and dicts nobody
    else changes). ``model_construct`` does the same, slower than validating (pydantic
    2.14 inspects each default factory's signature every time). A name the model does
    not have raises ``TypeError``."""
    defaults = _defaults_of(model)
    if not values.keys() <= defaults.keys():
        raise TypeError(f"{model.__name__} has no field {sorted(values.keys() - defaults.keys())}")
    data = {name: values[name] if name in values else make() for name, make in defaults.items()}
    built = model.__new__(model)
    object.__setattr__(built, "__dict__", data)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built


#: Default values :func:`assembled` may hand out as they are (never changed in place).
_IMMUTABLE = (type(None), str, int, float, bool, tuple, frozenset)


@cache
def _defaults_of(model: type[BaseModel]) -> dict[str, Callable[[], Any]]:
    """Each field of ``model`` (in order) with what makes its default value."""
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        raise TypeError(f"{model.__name__} has private attributes or extra fields")
    defaults: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            if field.default_factory_takes_validated_data:
                raise TypeError(f"{model.__name__}.{name}: a factory of the validated data")
            defaults[name] = field.default_factory  # type: ignore[assignment]
        elif field.is_required():
            defaults[name] = partial(_required, model, name)
        elif isinstance(field.default, _IMMUTABLE):
            defaults[name] = partial(_same, field.default)
        else:
            raise TypeError(f"{model.__name__}.{name}: a default that may be changed in place")
    return defaults


def _same(value: Any) -> Any:
    return value


def _required(model: type[BaseModel], name: str) -> Any:
    raise TypeError(f"{model.__name__}.{name} is required")


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
