"""Which folder may import which, read from the source with ``ast`` (no import is run).

``schemas/`` is the wire contract: a leaf that imports no stage. ``platforms/`` sits just
above it: the stages and ``hookline/`` read it, so it imports nothing but ``schemas/``.
Every import counts, those inside functions and ``if TYPE_CHECKING:`` blocks included,
and so does a module name handed to ``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = frozenset({"ingest", "streams", "actions", "hookline", "platforms"})


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


def forbidden_imports(folder: str, allowed: frozenset[str]) -> list[str]:
    """``file:line module`` for each import of a first-party folder outside ``allowed``."""
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top in STAGES | {"schemas"} and top not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{line} {module}")
    return bad


def test_schemas_import_no_stage() -> None:
    assert forbidden_imports("schemas", frozenset({"schemas"})) == []


def test_platforms_import_only_schemas() -> None:
    assert forbidden_imports("platforms", frozenset({"platforms", "schemas"})) == []


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
