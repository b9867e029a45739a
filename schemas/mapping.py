"""Field mapping: where an integration finds event, name, phone and custom fields.

A source is a jmespath expression over the parsed body (a plain string), a
request header (``{"header": "X-Shopify-Topic"}``), a query parameter
(``{"query": "event"}``), or a **fallback chain**: a list of those, read in order,
the first one present wins (``["data.buyer.checkout_phone", "data.buyer.phone",
{"header": "X-Phone"}]``). A chain is how one mapping reads every payload version
and event family of a platform (Hotmart's purchases carry the person in
``data.buyer``, its club events in ``data.user``); for the phone, the first
candidate that is a valid phone wins (core/sources.py, streams/mapping.py). A single
source is the chain of one, so mappings written before chains existed load unchanged.
Expressions are compiled when the model is validated, so an invalid mapping never
gets saved. jmespath checks a function's name and arguments only when it calls it, on
every body alike: :meth:`Mapping.function_problems` finds those calls without a body, and
is asked when a mapping is saved (the API, the presets), not when one is loaded (a
mapping saved before still loads: its webhooks say what fails).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

import jmespath
import jmespath.exceptions
import jmespath.functions
import phonenumbers
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ConfigDict, Field, field_validator


class HeaderSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    header: str = Field(min_length=1, max_length=256)


class QuerySource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    query: str = Field(min_length=1, max_length=256)


#: One place a value is read from.
SingleSource = str | HeaderSource | QuerySource
#: Longest fallback chain accepted.
MAX_CHAIN = 12
#: A single source, or a fallback chain of them (first present wins).
Source = str | HeaderSource | QuerySource | tuple[SingleSource, ...]


def chain_of(source: Source) -> tuple[SingleSource, ...]:
    """The members of ``source`` in the order they are tried (a single source: itself)."""
    return source if isinstance(source, tuple) else (source,)


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> ParsedResult:
    """Compile once per distinct expression; raises ValueError with jmespath's reason."""
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise ValueError(f"invalid jmespath expression {expression!r}: {exc}") from None


#: jmespath's functions, each with the signature its calls are checked against: one
#: ``{"types": [...]}`` per argument, the last one ``"variadic"`` when more may follow.
FUNCTIONS: dict[str, tuple[dict[str, Any], ...]] = {
    name: tuple(spec["signature"])
    for name, spec in sorted(jmespath.functions.Functions.FUNCTION_TABLE.items())
}


def function_problems(expression: str) -> list[str]:
    """Why ``expression`` fails on every body, whatever the body holds: a function jmespath
    does not have, a call with the wrong number of arguments, an expression reference
    (``&x``) where a value goes or a value where one goes. [] when there is none (an
    expression may still fail on one body: ``join`` over a null). Raises ValueError when
    the expression does not compile."""
    problems: list[str] = []
    _walk(compile_expression(expression).parsed, problems, expref=False)
    return problems


def _walk(node: dict[str, Any], problems: list[str], *, expref: bool) -> None:
    """Add the problems of ``node`` and below; ``expref``: whether an expression reference
    may stand there (an argument of a function that takes one)."""
    children = [child for child in node.get("children", ()) if isinstance(child, dict)]
    if node.get("type") == "expref" and not expref:
        takers = ", ".join(
            f"{name}()" for name, signature in FUNCTIONS.items() if _takes(signature)
        )
        problems.append(f"an expression reference (&...) is an argument of {takers}, not a value")
    if node.get("type") == "function_expression":
        _call(node["value"], children, problems)
        return
    for child in children:
        _walk(child, problems, expref=False)


def _call(name: str, arguments: list[dict[str, Any]], problems: list[str]) -> None:
    signature = FUNCTIONS.get(name)
    if signature is None:
        close = difflib.get_close_matches(name, FUNCTIONS, n=1)
        hint = f"did you mean {close[0]}()?" if close else "functions: " + ", ".join(FUNCTIONS)
        problems.append(f"unknown function {name}() ({hint})")
    else:
        expected, variadic = len(signature), signature[-1].get("variadic", False)
        if len(arguments) != expected and not (variadic and len(arguments) > expected):
            least, plural = "at least " if variadic else "", "" if expected == 1 else "s"
            problems.append(
                f"{name}() takes {least}{expected} argument{plural}, got {len(arguments)}"
            )
    for index, argument in enumerate(arguments):
        # The types this argument may have: [] any, None unknown (no such function or
        # argument, said above).
        types = None
        if signature is not None and index < len(signature):
            types = signature[index]["types"]
        elif signature is not None and signature[-1].get("variadic"):
            types = signature[-1]["types"]
        if types and "expref" in types and argument.get("type") != "expref":
            problems.append(
                f"{name}() takes an expression reference (&...) as argument {index + 1}"
            )
        _walk(argument, problems, expref=not types or "expref" in types)


def _takes(signature: tuple[dict[str, Any], ...]) -> bool:
    return any("expref" in argument["types"] for argument in signature)


def _check_source(source: Source) -> Source:
    if isinstance(source, tuple):
        if not source:
            raise ValueError("a fallback chain needs at least one source")
        if len(source) > MAX_CHAIN:
            raise ValueError(f"a fallback chain has at most {MAX_CHAIN} sources")
    for member in chain_of(source):
        if isinstance(member, str):
            if not member.strip():
                raise ValueError("empty expression")
            compile_expression(member)
    return source


class Mapping(BaseModel):
    """The mapping format shared by ``hookline preview`` and the management API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: Source
    name: Source
    phone: Source
    fields: dict[str, Source] = Field(default_factory=dict)
    default_region: str = "BR"

    @field_validator("event", "name", "phone")
    @classmethod
    def _valid_source(cls, value: Source) -> Source:
        return _check_source(value)

    @field_validator("fields")
    @classmethod
    def _valid_fields(cls, value: dict[str, Source]) -> dict[str, Source]:
        for name, source in value.items():
            if not name.strip():
                raise ValueError("custom field names must not be empty")
            try:
                _check_source(source)
            except ValueError as exc:
                raise ValueError(f"field {name!r}: {exc}") from None
        return value

    def sources(self) -> dict[str, Source]:
        """Every source by where it is: ``event``, ``name``, ``phone``, ``fields.<name>``."""
        found: dict[str, Source] = {"event": self.event, "name": self.name, "phone": self.phone}
        return found | {f"fields.{name}": source for name, source in self.fields.items()}

    def broken_sources(self) -> list[tuple[str, str]]:
        """(where, problem) for each expression that fails on every body
        (:func:`function_problems`), a fallback chain's members included. Asked when a
        mapping is saved: an empty list, or the save is refused naming these."""
        return [
            (where, f"{member!r}: {problem}")
            for where, source in self.sources().items()
            for member in chain_of(source)
            if isinstance(member, str)
            for problem in function_problems(member)
        ]

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"unknown phone region {value!r} (expected an ISO 3166 code such as BR)"
            )
        return region
