"""The shape of recent payloads: every jmespath-style path seen, with types and examples.

Pure: :func:`infer_structure` walks parsed bodies (``ParsedBody.data``) and request headers
and returns a :class:`Structure`, a JSON-serialisable summary that two workers can
:func:`merge`. Paths are written so they can be pasted into a mapping:

- object keys joined with dots: ``data.buyer.name``;
- array elements as ``items[].name`` (the concrete path ``items[0].name`` is
  :func:`first_item_path`);
- keys that are not plain identifiers quoted jmespath-style: ``"contact[email]"``;
- :func:`parent_path` gives the container of a path, so the flat table is also a tree.

Form builders send answers as arrays of items that each say what they hold (Typeform's
``answers[]`` with a field ``ref`` and a question title kept elsewhere in
``definition.fields[]``; Apps Script's ``[{question, answer}]``). A path like
``answers[].text`` mixes every answer, so such items are also recorded one by one in
``labelled``: a filter expression that picks the item
(``form_response.answers[?field.id=='kSHz'].text | [0]``) with the item's label (the
question's title, else its ref) and type.

Work is bounded: at most ``max_paths`` distinct paths, ``max_depth`` levels and
``max_items`` elements looked at per array; a structure that hit a cap says so in
``truncated``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

MAX_PATHS = 2000
MAX_DEPTH = 12
MAX_ITEMS = 20
EXAMPLE_CHARS = 200

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PathStats(BaseModel):
    """What was seen at one path (or one header) across the payloads."""

    #: JSON type names seen: string, integer, number, boolean, null, object, array.
    types: list[str] = Field(default_factory=list)
    #: One non-null scalar example (strings truncated to 200 characters), None if none seen.
    example: Any = None
    #: How many payloads had this path (each payload counts once).
    count: int = 0
    #: count / samples of the structure it belongs to.
    frequency: float = 0.0


class LabelledStats(BaseModel):
    """One labelled item of an array of answers: what its label and type say it holds."""

    #: The item's label: a question's title, else its ref or name.
    label: str = ""
    #: The item's declared type (``phone_number``, ``email``, ``short_text``...), if any.
    kind: str = ""
    example: Any = None
    count: int = 0
    frequency: float = 0.0


class Structure(BaseModel):
    """Paths and headers seen across ``samples`` payloads."""

    samples: int = 0
    #: How many header sets were read (requests may come without headers).
    header_samples: int = 0
    paths: dict[str, PathStats] = Field(default_factory=dict)
    #: Header names (lower-cased) -> stats, when headers were given.
    headers: dict[str, PathStats] = Field(default_factory=dict)
    #: Filter expression picking one labelled array item's value -> its label and type.
    labelled: dict[str, LabelledStats] = Field(default_factory=dict)
    #: True when a cap (paths, depth) dropped something.
    truncated: bool = False
    max_paths: int = MAX_PATHS

    def leaf_paths(self) -> list[str]:
        """Paths whose values are scalars (never only objects/arrays)."""
        return [
            path
            for path, stats in self.paths.items()
            if any(t not in ("object", "array") for t in stats.types)
        ]


def quote_key(key: str) -> str:
    """A key as a jmespath segment: bare when it is an identifier, else a quoted string."""
    return key if _IDENTIFIER.match(key) else json.dumps(key, ensure_ascii=False)


def join_path(parent: str, key: str) -> str:
    segment = quote_key(key)
    return f"{parent}.{segment}" if parent else segment


_LAST_SEGMENT = re.compile(r'\.?(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|\[\])$')


def parent_path(path: str) -> str:
    """The path of the object or array holding ``path`` ("" at the top level).

    ``data.buyer.name`` -> ``data.buyer``; ``items[].sku`` -> ``items[]``;
    ``items[]`` -> ``items``; ``"contact[email]"`` -> ``""``.
    """
    found = _LAST_SEGMENT.search(path)
    return path[: found.start()] if found else ""


def first_item_path(path: str) -> str:
    """``items[].name`` -> ``items[0].name``: a path that yields one value, not a list."""
    return path.replace("[]", "[0]")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return "string"


def _example(value: Any) -> Any:
    if isinstance(value, str):
        return value[:EXAMPLE_CHARS]
    if isinstance(value, bool | int | float):
        return value
    return None


class _Walker:
    def __init__(
        self,
        structure: Structure,
        max_depth: int,
        max_items: int,
        titles: dict[str, str] | None = None,
    ) -> None:
        self.structure = structure
        self.max_depth = max_depth
        self.max_items = max_items
        self.seen: set[tuple[str, str]] = set()
        self.labeller = _Labeller(titles or {})

    def labelled(self, path: str, item: Mapping[str, Any]) -> None:
        """Record each scalar value of an answer item under its own filter expression."""
        found = self.labeller.describe(item)
        if found is None:
            return
        condition, label, kind = found
        for key, value in item.items():
            if key in _META_KEYS or isinstance(value, Mapping | list | tuple) or value is None:
                continue
            expr = f"{path}[?{condition}].{quote_key(str(key))} | [0]"
            table = self.structure.labelled
            if expr not in table and len(table) >= self.structure.max_paths:
                self.structure.truncated = True
                continue
            stats = table.setdefault(expr, LabelledStats(label=label, kind=kind))
            if stats.example is None:
                stats.example = _example(value)
            if ("labelled", expr) not in self.seen:
                self.seen.add(("labelled", expr))
                stats.count += 1

    def record(self, table: dict[str, PathStats], path: str, value: Any) -> bool:
        stats = table.get(path)
        if stats is None:
            if table is self.structure.paths and len(table) >= self.structure.max_paths:
                self.structure.truncated = True
                return False
            stats = table[path] = PathStats()
        kind = json_type(value)
        if kind not in stats.types:
            stats.types = sorted([*stats.types, kind])
        if stats.example is None:
            stats.example = _example(value)
        key = ("paths" if table is self.structure.paths else "headers", path)
        if key not in self.seen:
            self.seen.add(key)
            stats.count += 1
        return True

    def walk(self, path: str, value: Any, depth: int) -> None:
        if path and not self.record(self.structure.paths, path, value):
            return
        if isinstance(value, list | tuple) and path:
            for item in list(value)[: self.max_items]:
                if isinstance(item, Mapping):
                    self.labelled(path, item)
        if depth >= self.max_depth and isinstance(value, Mapping | list | tuple):
            self.structure.truncated = True
            return
        if isinstance(value, Mapping):
            for key, child in value.items():
                self.walk(join_path(path, str(key)), child, depth + 1)
        elif isinstance(value, list | tuple):
            for child in list(value)[: self.max_items]:
                self.walk(f"{path}[]", child, depth + 1)


#: Keys of an answer item that hold its label, best first.
_LABEL_KEYS = ("title", "label", "question", "pergunta", "questionTitle", "name")
#: Keys of an answer item that identify its question (also looked up in ``titles``).
_ID_KEYS = ("id", "ref", "key")
#: Keys of an answer item that are not its value.
_META_KEYS = {*_LABEL_KEYS, *_ID_KEYS, "type", "field", "required", "properties", "index"}
_LITERAL = re.compile(r"^[^\x00-\x1f]{1,120}$")


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Labeller:
    """Finds the label and the filter of one answer item."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.titles = titles

    def describe(self, item: Mapping[str, Any]) -> tuple[str, str, str] | None:
        """(filter, label, kind) for an item that names its question, else None."""
        field = item.get("field")
        holder, prefix = (field, "field.") if isinstance(field, Mapping) else (item, "")
        for key in _ID_KEYS:
            ident = holder.get(key)
            if isinstance(ident, str) and _LITERAL.match(ident):
                label = self.titles.get(ident) or _label(holder) or _label(item) or ident
                kind = str(item.get("type") or holder.get("type") or "")
                return f"{prefix}{key}=={_literal(ident)}", label, kind
        label = _label(item)
        if label and _LITERAL.match(label):
            key = next(k for k in _LABEL_KEYS if item.get(k) == label)
            return f"{key}=={_literal(label)}", label, str(item.get("type") or "")
        return None


def _label(item: Mapping[str, Any]) -> str:
    for key in _LABEL_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _titles(body: Any, depth: int = 0, out: dict[str, str] | None = None) -> dict[str, str]:
    """Question id/ref -> title, from any array of objects with an id and a title
    (Typeform's ``definition.fields``)."""
    out = {} if out is None else out
    if depth > MAX_DEPTH:
        return out
    if isinstance(body, Mapping):
        title = next((body.get(k) for k in ("title", "label", "question") if body.get(k)), None)
        if isinstance(title, str):
            for key in _ID_KEYS:
                ident = body.get(key)
                if isinstance(ident, str) and ident:
                    out.setdefault(ident, title.strip())
        for child in body.values():
            _titles(child, depth + 1, out)
    elif isinstance(body, list | tuple):
        for child in list(body)[:MAX_PATHS]:
            _titles(child, depth + 1, out)
    return out


def infer_structure(
    bodies: Iterable[Any],
    headers: Iterable[Mapping[str, str]] = (),
    *,
    max_paths: int = MAX_PATHS,
    max_depth: int = MAX_DEPTH,
    max_items: int = MAX_ITEMS,
) -> Structure:
    """Summarise parsed bodies (and optionally their request headers) into a Structure."""
    structure = Structure(max_paths=max_paths)
    for body in bodies:
        structure.samples += 1
        walker = _Walker(structure, max_depth, max_items, _titles(body))
        walker.walk("", body, 0)
    for request_headers in headers:
        structure.header_samples += 1
        walker = _Walker(structure, max_depth, max_items)
        for name, value in request_headers.items():
            walker.record(structure.headers, str(name).lower(), value)
    _refresh(structure)
    return structure


def merge(a: Structure, b: Structure) -> Structure:
    """Combine two summaries as if their payloads had been read together."""
    out = Structure(
        samples=a.samples + b.samples,
        header_samples=a.header_samples + b.header_samples,
        truncated=a.truncated or b.truncated,
        max_paths=max(a.max_paths, b.max_paths),
    )
    for expr, stats in (*a.labelled.items(), *b.labelled.items()):
        current = out.labelled.get(expr)
        if current is None:
            out.labelled[expr] = stats.model_copy(deep=True)
        else:
            current.count += stats.count
            current.example = current.example if current.example is not None else stats.example
    for table_name in ("paths", "headers"):
        table: dict[str, PathStats] = getattr(out, table_name)
        for source in (getattr(a, table_name), getattr(b, table_name)):
            for path, stats in source.items():
                current = table.get(path)
                if current is None:
                    if table_name == "paths" and len(table) >= out.max_paths:
                        out.truncated = True
                        continue
                    table[path] = stats.model_copy(deep=True)
                    continue
                current.types = sorted(set(current.types) | set(stats.types))
                current.count += stats.count
                if current.example is None:
                    current.example = stats.example
    _refresh(out)
    return out


def _refresh(structure: Structure) -> None:
    for table, samples in (
        (structure.paths, structure.samples),
        (structure.headers, structure.header_samples),
        (structure.labelled, structure.samples),
    ):
        for stats in table.values():
            stats.frequency = stats.count / samples if samples else 0.0
