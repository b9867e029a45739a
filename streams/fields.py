"""Lead field values: the standard fields a mapping fills on the lead's profile, and the
types of the account's custom fields. Pure.

**Standard fields** (:data:`STANDARD_FIELDS`, the one list): a mapping field with one of
these names (``"fields": {"email": "data.buyer.email"}``) lands on the lead's
``profile`` with every command of a matched webhook, no ``update_field`` action needed.
Each is normalised; a value that cannot be (not an e-mail address, an object) is not
stored and the webhook's history says why (:func:`profile_of`).

**Custom field types** (:data:`FIELD_TYPES`): ``text`` (the default, and the type of
every field saved before types existed), ``number``, ``date``, ``boolean``. A value is
stored on the lead as its canonical text (:func:`convert`): ``1234.5``, ``2026-03-01``,
``true``; ``""`` clears it whatever the type. The API shows it typed (:func:`typed`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from schemas.config import FieldType

FIELD_TYPES: tuple[str, ...] = get_args(FieldType)


class FieldValueError(ValueError):
    """A value that does not fit its field (the message says why, for history)."""


# -- standard fields ---------------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DOCUMENT_PUNCTUATION = re.compile(r"[\s./-]")


def _email(text: str) -> str:
    email = text.lower()
    if not _EMAIL.match(email):
        raise FieldValueError("not an e-mail address")
    return email


def _document(text: str) -> str:
    """A CPF (11 digits) or CNPJ (14) written with dots, dashes or slashes is kept as
    its digits; anything else (a foreign tax id) as written."""
    digits = _DOCUMENT_PUNCTUATION.sub("", text)
    return digits if digits.isdigit() and len(digits) in (11, 14) else text


def _as_is(text: str) -> str:
    return text


#: The mapping field names that land on the lead's profile, with their normaliser.
STANDARD_FIELDS: dict[str, Callable[[str], str]] = {
    "email": _email,
    "document": _document,
    "city": _as_is,
    "state": _as_is,
    "country": _as_is,
    "zip_code": _as_is,
}


def _scalar_text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise FieldValueError(f"not a single value (got {'an object' if value else 'a list'})")
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return str(value).strip()


def profile_of(fields: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The standard fields among a webhook's mapped ``fields``, normalised, and the
    history lines of those that could not be (absent and blank ones are left out)."""
    profile: dict[str, str] = {}
    errors: list[str] = []
    for name, normalise in STANDARD_FIELDS.items():
        value = fields.get(name)
        if value is None:
            continue
        try:
            text = _scalar_text(value)
            if text:
                profile[name] = normalise(text)
        except FieldValueError as exc:
            shown = json.dumps(value, ensure_ascii=False)[:100]
            errors.append(f"{name} {shown} not stored on the lead: {exc}")
    return profile, errors


# -- custom field types ------------------------------------------------------------------
_TRUE = frozenset({"true", "1", "sim", "s", "yes", "y", "verdadeiro", "v", "on"})
_FALSE = frozenset({"false", "0", "não", "nao", "n", "no", "falso", "f", "off"})
_CURRENCY = re.compile(r"^(?:R\$|US\$|\$|€)\s*")
_BR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _number(text: str) -> str:
    """``12``, ``-1.5``, ``1e3``, ``R$ 1.234,56`` (a comma is the decimal separator when
    it comes last), ``1,234.56``: canonical ``1234.56``."""
    plain = _CURRENCY.sub("", text).replace(" ", "")
    if "," in plain:
        if "." in plain and plain.rindex(".") > plain.rindex(","):
            plain = plain.replace(",", "")  # 1,234.56
        elif plain.count(",") == 1:
            plain = plain.replace(".", "").replace(",", ".")  # 1.234,56 and 12,5
        else:
            plain = plain.replace(",", "")  # 1,234,567
    elif plain.count(".") > 1:
        plain = plain.replace(".", "")  # 1.234.567
    try:
        number = Decimal(plain)
    except InvalidOperation:
        raise FieldValueError("not a number") from None
    if not number.is_finite():
        raise FieldValueError("not a number")
    canonical = format(number.normalize(), "f")
    return "0" if canonical in ("-0", "0") else canonical


def _date(text: str) -> str:
    """``2026-03-01``, an ISO date and time (its own date), ``01/03/2026`` (day first),
    Unix seconds or milliseconds: canonical ``2026-03-01``."""
    if text.isdigit() and len(text) in (10, 13):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC).date().isoformat()
    if (found := _BR_DATE.match(text)) is not None:
        day, month, year = (int(part) for part in found.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError as exc:
            raise FieldValueError(f"not a date ({exc})") from None
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        raise FieldValueError(
            "not a date (2026-03-01, 01/03/2026, an ISO date and time or a Unix time)"
        ) from None


def _boolean(text: str) -> str:
    word = text.lower()
    if word in _TRUE:
        return "true"
    if word in _FALSE:
        return "false"
    raise FieldValueError("not a boolean (true/false, sim/não, 1/0)")


_CONVERTERS: dict[str, Callable[[str], str]] = {
    "text": _as_is,
    "number": _number,
    "date": _date,
    "boolean": _boolean,
}


def convert(value: str, field_type: str) -> str:
    """``value`` as a field of ``field_type`` stores it (raises :class:`FieldValueError`);
    ``""`` stays ``""`` (no value)."""
    text = value.strip() if field_type != "text" else value
    if not text:
        return ""
    return _CONVERTERS[field_type](text)


def typed(value: str, field_type: str) -> Any:
    """A stored value as the API shows it: a number, a boolean, or text (dates stay
    ``2026-03-01``). A value stored before its field's type changed, which does not fit
    the type, is shown as stored."""
    if field_type == "text" or not value:
        return value
    try:
        canonical = convert(value, field_type)
    except FieldValueError:
        return value
    if field_type == "number":
        number = Decimal(canonical)
        return int(number) if number == number.to_integral_value() else float(number)
    if field_type == "boolean":
        return canonical == "true"
    return canonical
