"""Which folder may import which, read from the source with ``ast`` (no import is run).

The layers, bottom up; each folder imports only the folders below it (and itself):

- ``schemas/``: the wire contract, a leaf;
- ``platforms/``: one unit per platform, read by everything above;
- ``core/``: the base layer (settings, logs, metrics, redact, Kafka, config view,
  journal, body parsing and sources, what the worker's agents share);
- the stages ``ingest/``, ``streams/``, ``actions/``: each imports only the layers below,
  never another stage;
- ``hookline/``: the applications (CLI, HTTP server, management API, history sink,
  embedded mode, discovery), the only folder that imports the stages.

So dependencies point one way and no two folders import each other; inside each
top-level package, its subpackages and modules form no cycle either. Every import counts,
those inside functions and ``if TYPE_CHECKING:`` blocks included, and so does a module
name handed to ``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

import ast
import graphlib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = ("schemas", "platforms", "core")
STAGES = ("ingest", "streams", "actions")
#: folder -> the first-party folders it may import (itself included).
ALLOWED: dict[str, frozenset[str]] = {
    "schemas": frozenset({"schemas"}),
    "platforms": frozenset({"schemas", "platforms"}),
    "core": frozenset(BASE),
    **{stage: frozenset({*BASE, stage}) for stage in STAGES},
    "hookline": frozenset({*BASE, *STAGES, "hookline"}),
}
FIRST_PARTY = frozenset(ALLOWED)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, at any depth; relative
    imports are resolved against the file's package (its folders below ``root``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and _names_a_module(node):
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append((node.lineno, argument.value))
    return found


def _names_a_module(call: ast.Call) -> bool:
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in ("import_module", "__import__") and bool(call.args)


def first_party_imports(folder: str, root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(importing module, line, imported module) for each first-party import under
    ``folder``."""
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        found += [
            (module, line, imported)
            for line, imported in imported_modules(path, root)
            if imported.split(".")[0] in FIRST_PARTY
        ]
    return found


def forbidden_imports(folder: str, allowed: frozenset[str]) -> list[str]:
    """``file:line module`` for each import of a first-party folder outside ``allowed``."""
    return [
        f"{module.replace('.', '/')}.py:{line} {imported}"
        for module, line, imported in first_party_imports(folder)
        if imported.split(".")[0] not in allowed
    ]


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph (``node -> nodes it imports``) as a list of nodes, or None."""
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as exc:
        return exc.args[1]
    return None


def import_graph(folders: tuple[str, ...], depth: int) -> dict[str, set[str]]:
    """Edges between modules cut to their first ``depth`` name parts: depth 1 gives the
    top-level folders, depth 2 the subpackages and modules of each one."""
    edges: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        for module, _, imported in first_party_imports(folder):
            source, target = (".".join(m.split(".")[:depth]) for m in (module, imported))
            if source != target:
                edges[source].add(target)
    return edges


def test_schemas_import_no_stage() -> None:
    assert forbidden_imports("schemas", ALLOWED["schemas"]) == []


def test_platforms_import_only_schemas() -> None:
    assert forbidden_imports("platforms", ALLOWED["platforms"]) == []


def test_core_imports_only_schemas_and_platforms() -> None:
    assert forbidden_imports("core", ALLOWED["core"]) == []


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_base_layers(stage: str) -> None:
    """No stage imports another stage, nor an application (``hookline/``)."""
    assert forbidden_imports(stage, ALLOWED[stage]) == []


def test_every_first_party_folder_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"tests"} == set(ALLOWED)


def test_no_cycle_between_folders() -> None:
    assert cycle(import_graph(tuple(ALLOWED), depth=1)) is None


@pytest.mark.parametrize("folder", list(ALLOWED))
def test_no_cycle_between_the_subpackages_and_modules_of_a_folder(folder: str) -> None:
    assert cycle(import_graph((folder,), depth=2)) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert cycle({"a": {"b", "c"}, "b": {"c"}}) is None


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import ingest.verify", "ingest.verify"),
        ("from hookline import redact", "hookline"),
        ("def f():\n    from ingest.signing import scheme_of", "ingest.signing"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import streams", "streams"),
        ("import importlib\nimportlib.import_module('actions.registry')", "actions.registry"),
        ("__import__('platforms')", "platforms"),
    ],
)
def test_the_walk_sees_every_kind_of_import(tmp_path: Path, source: str, found: str) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "leaf.py").write_text(source + "\n", encoding="utf-8")
    assert found in [module for _, module in imported_modules(folder / "leaf.py", tmp_path)]


def test_relative_imports_resolve_to_their_package(tmp_path: Path) -> None:
    folder = tmp_path / "schemas" / "inner"
    folder.mkdir(parents=True)
    (folder / "leaf.py").write_text("from . import sibling\nfrom ..types import Id\n")
    assert [m for _, m in imported_modules(folder / "leaf.py", tmp_path)] == [
        "schemas.inner",
        "schemas.types",
    ]
