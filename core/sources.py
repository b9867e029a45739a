"""Reading a mapping source from one request: the one place that says what a
:data:`~schemas.mapping.Source` reads.

- a jmespath expression (a plain string) searches the parsed body
  (:attr:`core.body.ParsedBody.data`);
- ``{"header": "X-Name"}`` reads a request header, whatever the case of its name;
- ``{"query": "name"}`` reads a query-string parameter, its first value when repeated;
- a fallback chain (a tuple of the above) reads its members in order: the first value
  present (not null or false, not an empty string, list or object) is the chain's value.

The workers' mapping (``streams/mapping.py``), the gateway's delivery ids
(``ingest/delivery.py``) and the suggestion measurement (``bench/discovery.py``) all
read sources here. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter

from schemas.mapping import (
    HeaderSource,
    QuerySource,
    SingleSource,
    Source,
    chain_of,
    compile_expression,
)


class SourceError(Exception):
    """An expression failed on this body (a type error in a function, data nested too
    deep, ...); the message is jmespath's (or Python's) reason."""


def read_source(
    source: Source,
    body: Any,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, Sequence[str]] | None = None,
) -> Any:
    """The value ``source`` names in a request, None when it is absent.

    ``headers`` must be keyed lower-case (HTTP header names are case-insensitive: the
    gateway stores them lower-cased); ``query`` holds a list of values per name. Raises
    :class:`SourceError` when an expression fails on ``body``."""
    if isinstance(source, tuple):
        return next(iter(read_candidates(source, body, headers, query)), None)
    return _read_one(source, body, headers, query)


def read_candidates(
    source: Source,
    body: Any,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, Sequence[str]] | None = None,
) -> list[Any]:
    """Every present value of ``source``'s chain, in chain order (a single source: its
    value, if present). A member that fails on this body is skipped when another member
    has a value; when none has, its :class:`SourceError` is raised (the mapping is broken
    for this payload, which must be said)."""
    found: list[Any] = []
    failed: SourceError | None = None
    for member in chain_of(source):
        try:
            value = _read_one(member, body, headers, query)
        except SourceError as exc:
            failed = failed or exc
            continue
        if present(value):
            found.append(value)
    if not found and failed is not None:
        raise failed
    return found


def reads_body(source: Source) -> bool:
    """Whether ``source`` reads the body (an expression does; headers and the query do
    not): callers parse the body only for those."""
    return any(isinstance(member, str) for member in chain_of(source))


def present(value: Any) -> bool:
    """Whether a value counts as found: not null, not ``false`` (what a guard such as
    ``type == 'invoice' && ...`` yields when it does not apply), not an empty (or blank)
    string, list or object."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def _read_one(
    source: SingleSource,
    body: Any,
    headers: Mapping[str, str] | None,
    query: Mapping[str, Sequence[str]] | None,
) -> Any:
    if isinstance(source, HeaderSource):
        return (headers or {}).get(source.header.lower())
    if isinstance(source, QuerySource):
        return first((query or {}).get(source.query))
    try:
        return _search(compile_expression(source), body)
    except Exception as exc:  # jmespath type errors, invalid functions, deep data...
        raise SourceError(str(exc)) from None


#: Every search's interpreter: ``ParsedResult.search`` makes one per call (options,
#: functions, method cache), and an interpreter keeps nothing from one search to the next.
_INTERPRETER = TreeInterpreter()


def _search(expression: ParsedResult, body: Any) -> Any:
    """``expression.search(body)``; an expression that only reads keys, as most mapping
    expressions do, read as jmespath reads it (a key of an object, else null) without
    walking its tree."""
    keys = _keys_read(expression)
    if keys is None:
        return _INTERPRETER.visit(expression.parsed, body)
    value = body
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@lru_cache(maxsize=4096)
def _keys_read(expression: ParsedResult) -> tuple[str, ...] | None:
    """The keys ``data.buyer.name`` reads, in order; None for any other kind of expression."""
    tree = expression.parsed
    steps = tree["children"] if tree["type"] == "subexpression" else [tree]
    if not all(step["type"] == "field" for step in steps):
        return None
    return tuple(step["value"] for step in steps)


def first(values: Any) -> Any:
    """Query values are lists (repeated keys keep every value); a source reads the first."""
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values


def lower_keys(headers: Mapping[str, str] | None) -> dict[str, str]:
    """``headers`` keyed lower-case, as :func:`read_source` takes them."""
    return {str(name).lower(): value for name, value in (headers or {}).items()}
