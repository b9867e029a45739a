"""Templates: message texts, quick replies, chatbot start parameters and field values.

The engine is Jinja2 (``jinja2.sandbox.SandboxedEnvironment``) rather than our own
parser: a Pallets project maintained since 2008, whose sandbox is the documented way to
run templates written by people who do not operate the server, and whose syntax
(``{{ name }}``, ``{{ x | default("...") }}``, ``{% if %}``) the placeholders saved so
far already follow. hookline narrows the sandbox so that a template can only read the
webhook's data:

- ``a.b`` and ``a["b"]`` read JSON data only (object keys, list indexes): no Python
  attribute or method is reachable, and nothing can be called;
- no globals; the filters of :data:`FILTERS` and the tests of :data:`TESTS` only;
- variables, literals, filters, ``~``, comparisons, ``and``/``or``/``not`` and
  ``if``/``else`` only: no loops, arithmetic, ``set``, macros or includes, so rendering
  is bounded by the template and the payload; checked when a template is saved and
  again before any template is compiled, and the output is capped at
  :data:`MAX_OUTPUT` characters.

Variables (:data:`VARIABLES`, :func:`context_for`): the lead (``name``, ``first_name``,
``phone``, ``email``), the custom fields the integration's mapping read
(``fields.<name>``), the mapped ``event`` and the parsed body (``payload``, e.g.
``payload.data.buyer.name``; credential fields masked, as history shows it). A saved
template may name only those: ``fields.<name>`` must be a field of the mapping or a
custom field of the account (:class:`Variables`, :func:`check`).

A value is missing when the webhook did not have it (absent, null or blank). A missing
value may be tested (``{% if fields.coupon %}``) or replaced (``| default("...")``);
printed as is, it stops the rendering: :func:`render` raises :class:`MissingValues`
naming every such variable, and the action is not run (``streams/process.py``). Never
"Olá , pagamento confirmado!".

Saved before this engine: a ``{{fields.my-field}}`` placeholder (custom field names may
hold ``-``) reads ``fields["my-field"]``; text Jinja cannot read as a template (a stray
``{%``) keeps the old rule (``{{ dotted.name }}`` replaced, the rest left as written),
missing values included in the check above."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.tests import TESTS as JINJA_TESTS

if TYPE_CHECKING:
    from core.config.state import ConfigState
    from streams.mapping import MappedLead

#: The variables besides ``fields.<name>`` and ``payload.<path>``, with what they hold.
VARIABLES: dict[str, str] = {
    "name": "the lead's name, as mapped",
    "first_name": "the first word of the lead's name",
    "phone": "the lead's phone, E.164 (+5511999999999)",
    "email": "the mapped custom field email (every platform preset maps it)",
    "event": "the mapped event, e.g. PURCHASE_APPROVED",
}
#: Filters a template may use (Jinja's own, all pure and bounded by their input).
FILTERS: tuple[str, ...] = tuple(
    "default d upper lower title capitalize trim truncate replace first last join map"
    " length count round int float string abs".split()
)
#: Tests a template may use: ``{% if payload.x is defined %}``.
TESTS: tuple[str, ...] = tuple(
    "defined undefined none number string eq ne lt le gt ge in odd even".split()
)
#: Longest rendering, in characters (a message is at most 4,096).
MAX_OUTPUT = 65_536
#: Replacements one ``replace`` may make (its output stays near its input's size).
MAX_REPLACEMENTS = 100

_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.CondExpr,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.List,
    nodes.Tuple,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
)
_REFUSED_AS = {
    nodes.For: "loops ({% for %})",
    nodes.Call: "calls (use a filter: name | upper)",
    nodes.BinExpr: "arithmetic",
    nodes.UnaryExpr: "arithmetic",
    nodes.Macro: "macros",
    nodes.CallBlock: "macros",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Include: "includes",
    nodes.Import: "imports",
    nodes.FromImport: "imports",
    nodes.Extends: "extends",
    nodes.Slice: "slices",
}


class TemplateProblem(ValueError):
    """A template that cannot be rendered (syntax, a construct not allowed, an error
    while rendering)."""


class MissingValues(ValueError):
    """Values the template prints that the webhook did not have."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        super().__init__(f"no value for {', '.join(self.names)}")


# -- what a template sees -----------------------------------------------------------
def _segment(key: str | int) -> str:
    """One step of a variable's path as a template writes it: ``.b``, ``.0``, ``["b c"]``."""
    if isinstance(key, int) or key.isidentifier():
        return f".{key}"
    return f"[{json.dumps(key, ensure_ascii=False)}]"


def variable_path(head: str, keys: Iterable[str | int]) -> str:
    """``payload`` and ``["data", "buyer", "name"]`` -> ``payload.data.buyer.name``."""
    return head + "".join(_segment(key) for key in keys)


_MISSING: ContextVar[list[str] | None] = ContextVar("template_missing", default=None)


class _MissingUsed(UndefinedError):
    """A missing value used where a value is needed (compared, iterated, ...); its
    message is the variable's path."""


class Missing(Undefined):
    """A value the webhook did not have. Reading into it is missing too
    (``payload.a.b`` when ``payload.a`` is absent); it is false in conditions and
    replaced by ``default``; printed, it is noted as missing, and used otherwise
    (compared, iterated) it stops the rendering as missing."""

    __slots__ = ()

    def __init__(
        self, hint: str | None = None, obj: Any = None, name: str | None = None, exc: Any = None
    ) -> None:
        super().__init__(hint, name=name, exc=_MissingUsed)

    @property
    def path(self) -> str:
        return str(self._undefined_name)

    @property
    def _undefined_message(self) -> str:
        return self.path

    def __str__(self) -> str:
        found = _MISSING.get()
        if found is None:
            raise UndefinedError(f"no value for {self.path}")
        if self.path not in found:
            found.append(self.path)
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._fail_with_undefined_error()
        return iter(())


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that knows its path (for the name of what is missing in it)."""

    __slots__ = ("path",)

    def __str__(self) -> str:
        return _json(self)


class _Array(list):  # type: ignore[type-arg]
    __slots__ = ("path",)

    def __iter__(self) -> Iterator[Any]:
        for index, item in enumerate(list.__iter__(self)):
            yield _data(item, variable_path(self.path, [index]))

    def __str__(self) -> str:
        return _json(self)


def _json(value: Any) -> str:
    """JSON text of a value (an :class:`_Array`'s items as they are, not wrapped)."""
    if isinstance(value, list):
        value = list.copy(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def absent(value: Any) -> bool:
    """Whether a value counts as missing: absent, null, or a blank string."""
    return (
        value is None
        or isinstance(value, Undefined)
        or (isinstance(value, str) and not value.strip())
    )


def _data(value: Any, path: str) -> Any:
    if absent(value):
        return Missing(name=path)
    if isinstance(value, dict):
        wrapped: _Object | _Array = _Object(value)
    elif isinstance(value, list):
        wrapped = _Array(value)
    else:
        return value
    wrapped.path = path
    return wrapped


def _child(parent: Any, key: Any) -> Any:
    """``parent.key`` / ``parent[key]``: a key of an object, an index of a list, else
    missing. Python attributes are never read."""
    if isinstance(parent, Missing):
        return Missing(name=variable_path(parent.path, [key]))
    value = None
    if isinstance(parent, dict):
        value = parent.get(key if isinstance(key, str) else str(key))
    elif isinstance(parent, list) and isinstance(key, int | str):
        index = key if isinstance(key, int) else int(key) if key.isdigit() else None
        if index is not None and -len(parent) <= index < len(parent):
            value = parent[index]
    base = getattr(parent, "path", None)
    return _data(value, variable_path(base, [key]) if base else str(key))


def context_for(lead: MappedLead, payload: Any) -> dict[str, Any]:
    """What a template of this webhook sees (:data:`VARIABLES`, ``fields``, ``payload``)."""
    name = lead.name or ""
    return {
        "name": name,
        "first_name": name.split()[0] if name.split() else "",
        "phone": lead.phone,
        "email": lead.fields.get("email"),
        "event": lead.event,
        "fields": lead.fields,
        "payload": payload,
    }


# -- the engine ----------------------------------------------------------------------
def _finalize(value: Any) -> Any:
    """How a printed value reads: text as is, anything else as JSON (``10.5``, ``true``)."""
    if isinstance(value, str | Undefined):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float | dict | list):
        return _json(value)
    return value


def _bounded(parts: Iterable[str]) -> str:
    out: list[str] = []
    size = 0
    for part in parts:
        size += len(part)
        if size > MAX_OUTPUT:
            raise TemplateProblem(f"renders more than {MAX_OUTPUT} characters")
        out.append(part)
    return "".join(out)


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    """Jinja's ``replace``, bounded: an empty ``old`` replaces nothing."""
    text, old, new = str(value), str(old), str(new)
    if not old:
        return text
    limit = MAX_REPLACEMENTS if count is None else max(0, min(int(count), MAX_REPLACEMENTS))
    return text.replace(old, new, limit)


class _Sandbox(SandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        return _child(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _child(obj, argument)


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=Missing,
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.globals.clear()
    env.filters = {name: JINJA_FILTERS[name] for name in FILTERS} | {"replace": _replace}
    env.tests = {name: JINJA_TESTS[name] for name in TESTS}
    env.concat = _bounded  # type: ignore[method-assign]
    return env


_ENV = _environment()

#: A dotted placeholder written before this engine, whose path Jinja reads otherwise:
#: ``{{fields.my-field}}`` (custom field names may hold ``-``), ``{{payload.a.1b}}``.
_DOTTED = re.compile(r"(\{\{-?\s*)([A-Za-z_]\w*(?:\.\w+(?:-\w+)*)+)(?=\s*(?:\||-?\}\}))")


def _jinja_source(source: str) -> str:
    def subscript(match: re.Match[str]) -> str:
        head, *keys = match[2].split(".")
        if all(key.isidentifier() or key.isdigit() for key in keys):
            return match[0]
        return match[1] + variable_path(head, [int(k) if k.isdigit() else k for k in keys])

    return _DOTTED.sub(subscript, source)


def _refused(tree: nodes.Template) -> list[str]:
    """What the template uses that templates may not (:data:`_ALLOWED`)."""
    problems: list[str] = []

    def note(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED):
            label = next((v for k, v in _REFUSED_AS.items() if isinstance(node, k)), None)
            note(f"{label or type(node).__name__} not allowed in templates")
        elif isinstance(node, nodes.Filter) and node.name not in FILTERS:
            note(f"unknown filter {node.name!r} (filters: {', '.join(FILTERS)})")
        elif isinstance(node, nodes.Test) and node.name not in TESTS:
            note(f"unknown test {node.name!r} (tests: {', '.join(TESTS)})")
        elif isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            note("a variable's key must be written out: payload.data or payload['data']")
        elif isinstance(node, nodes.Filter) and (node.dyn_args or node.dyn_kwargs):
            note("*args and **kwargs not allowed in templates")
    return problems


def _parse(source: str) -> nodes.Template:
    """The template's tree; raises TemplateProblem (syntax, or a construct not allowed)."""
    try:
        tree = _ENV.parse(_jinja_source(source))
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"syntax error on line {exc.lineno}: {exc.message}") from None
    if problems := _refused(tree):
        raise TemplateProblem("; ".join(problems))
    return tree


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    """The compiled template (:class:`_Printing` when it only prints), or None for text
    that must keep the old rule (it was saved before templates were checked, and Jinja
    cannot read it or it uses what is refused)."""
    try:
        tree = _parse(source)
    except TemplateProblem:
        return None
    return _Printing.of(tree) or _ENV.from_string(tree)


#: The names a template reads from :func:`context_for`'s context.
_CONTEXT_NAMES = frozenset((*VARIABLES, "fields", "payload"))


def _variable(context: dict[str, Any], name: str) -> Any:
    """A context variable as a template reads it (as :func:`render` hands Jinja the
    context): ``fields`` and ``payload`` knowing their paths, a missing value missing."""
    if name not in context:
        return Missing(name=name)
    value = context[name]
    if name in ("fields", "payload"):
        value = _data(value, name)
    return Missing(name=name) if absent(value) else value


class _Printing:
    """A template that only prints text and variables, as most do (``Oi {{ name }}``,
    ``{{ fields.product }}``): rendered as its compiled Jinja template renders it (each
    step of a path through the sandbox's :func:`_child`, each value through
    :func:`_finalize` and ``str``, the parts through :func:`_bounded`), without the
    context and generator Jinja sets up per rendering, which cost more than the work."""

    __slots__ = ("_parts",)

    def __init__(self, parts: tuple[str | tuple[str, tuple[Any, ...]], ...]) -> None:
        #: Text as written, or a variable's path: (name, keys).
        self._parts = parts

    @classmethod
    def of(cls, tree: nodes.Template) -> _Printing | None:
        """The template when ``tree`` only prints text and context variables, else None."""
        parts: list[str | tuple[str, tuple[Any, ...]]] = []
        for output in tree.body:
            if not isinstance(output, nodes.Output):
                return None
            for node in output.nodes:
                if isinstance(node, nodes.TemplateData):
                    parts.append(node.data)
                elif (path := _static_path(node)) is not None and path[0] in _CONTEXT_NAMES:
                    parts.append((str(path[0]), tuple(path[1:])))
                else:
                    return None
        return cls(tuple(parts))

    def render(self, context: dict[str, Any]) -> str:
        return _bounded(self._printed(context))

    def _printed(self, context: dict[str, Any]) -> Iterator[str]:
        for part in self._parts:
            if isinstance(part, str):
                yield part
                continue
            name, keys = part
            value = _variable(context, name)
            for key in keys:
                value = _child(value, key)
            yield str(_finalize(value))


# -- checking (when a template is saved) ---------------------------------------------
@dataclass(frozen=True)
class Variables:
    """What a template may name: :data:`VARIABLES`, these ``fields`` and ``payload.*``."""

    fields: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [
            *VARIABLES,
            *(variable_path("fields", [name]) for name in self.fields),
            "payload.<path>",
        ]

    def problem(self, path: list[str | int]) -> str | None:
        """Why a variable used as ``path`` is not one of these (None: it is)."""
        head, keys = str(path[0]), path[1:]
        shown = variable_path(head, keys)
        if head in VARIABLES:
            return f"{shown}: {head} has no keys" if keys else None
        if head == "payload":
            return None
        if head == "fields":
            if not keys:
                return "fields needs a name: fields.<name>"
            if keys[0] in self.fields:
                return None
        return f"unknown variable {shown}"


def variables_for(
    config: ConfigState, account_id: str, integration_id: str | None = None
) -> Variables:
    """What templates of an integration's actions may name: ``fields.<name>`` for the
    fields its mapping reads and the account's custom fields (every integration's
    mapping when ``integration_id`` is None: an account-wide object)."""
    names = {field.name for field in config.custom_fields_of(account_id)}
    integrations = (
        [integration_id]
        if integration_id is not None
        else [i.id for i in config.integrations_of(account_id)]
    )
    for found in integrations:
        if (mapping := config.mapping(found)) is not None:
            names |= set(mapping.fields)
    return Variables(tuple(sorted(names)))


def _static_path(node: nodes.Node) -> list[str | int] | None:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        parent = _static_path(node.node)
        return None if parent is None else [*parent, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        parent = _static_path(node.node)
        return None if parent is None else [*parent, node.arg.value]
    return None


def used_variables(tree: nodes.Node) -> list[list[str | int]]:
    """Each variable a template reads, as a path, in order."""
    found: list[list[str | int]] = []

    def visit(node: nodes.Node) -> None:
        if (path := _static_path(node)) is not None:
            found.append(path)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return found


def check(source: str, variables: Variables) -> list[str]:
    """Why ``source`` may not be saved as a template (none: it may)."""
    try:
        tree = _parse(source)
    except TemplateProblem as exc:
        return [str(exc)]
    problems: list[str] = []
    for path in used_variables(tree):
        if (problem := variables.problem(path)) is not None and problem not in problems:
            problems.append(problem)
    return problems


# -- rendering (when a webhook matches) ------------------------------------------------
_LEGACY = re.compile(r"\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}")


def _legacy(source: str, context: dict[str, Any], missing: list[str]) -> str:
    """The rule before this engine: ``{{ dotted.path }}`` replaced, the rest kept."""

    def value(match: re.Match[str]) -> str:
        head, *keys = match[1].split(".")
        found: Any = context.get(head)
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        if absent(found):
            missing.append(match[1])
            return ""
        return str(_finalize(found))

    return _LEGACY.sub(value, source)


def render(source: str, context: dict[str, Any]) -> str:
    """``source`` rendered with ``context`` (:func:`context_for`). Raises
    :class:`MissingValues` when it prints a value the context does not have, and
    :class:`TemplateProblem` when it cannot be rendered; nothing else."""
    missing: list[str] = []
    token = _MISSING.set(missing)
    try:
        template = _compiled(source)
        if template is None:
            text = _legacy(source, context, missing)
        elif isinstance(template, _Printing):
            text = template.render(context)
        else:
            top = {name: _variable(context, name) for name in context}
            text = template.render({k: v for k, v in top.items() if not absent(v)})
    except TemplateProblem:
        raise
    except _MissingUsed as exc:
        missing.append(str(exc))
    except Exception as exc:  # a bad value for a filter, a comparison of two types...
        raise TemplateProblem(f"cannot render: {type(exc).__name__}: {exc}") from None
    finally:
        _MISSING.reset(token)
    if missing:
        raise MissingValues(missing)
    return text


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """A templated parameter rendered: text, or each value of a mapping of texts
    (chatbot start parameters) or of a list of texts (a WhatsApp template's body
    parameters). Every missing value is named, not only the first."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        rendered: dict[Any, Any] = {}
        missing: list[str] = []
        for key, item in items:
            try:
                rendered[key] = render_value(item, context)
            except MissingValues as exc:
                missing += [n for n in exc.names if n not in missing]
        if missing:
            raise MissingValues(missing)
        return rendered if isinstance(value, dict) else list(rendered.values())
    return value


# -- the variables a payload offers ----------------------------------------------------
def payload_variables(data: Any, limit: int = 300, max_depth: int = 10) -> list[tuple[str, Any]]:
    """``(payload.<path>, value)`` for each scalar of a parsed body, in document order
    (lists by their first item only), at most ``limit``."""
    found: list[tuple[str, Any]] = []

    def walk(value: Any, path: str, depth: int) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, dict) and depth < max_depth:
            for key, item in value.items():
                walk(item, variable_path(path, [str(key)]), depth + 1)
        elif isinstance(value, list) and depth < max_depth:
            if value:
                walk(value[0], variable_path(path, [0]), depth + 1)
        elif not isinstance(value, dict | list):
            found.append((path, value))

    walk(data, "payload", 0)
    return found
