"""The layers of the package, read from its source with `ast` (nothing is imported):
the command line (harness/cli/) sits on top and nothing below it imports it or argparse, and
no two harness modules import each other at module level, directly or through others."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "harness"
CLI = PACKAGE / "cli"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    """The package a module's relative imports start from."""
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def sources() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, *, module_level: bool) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names taken from it) for every import in the file; with
    `module_level` only those run when the module is imported (not in a function or class
    body, not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(), filename=str(path))

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in nodes:
            yield node
            if module_level:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if isinstance(node, ast.If) and is_type_checking(node.test):
                    yield from walk(node.orelse)
                    continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from walk([n for n in getattr(node, field, [])
                                 if isinstance(n, (ast.stmt, ast.ExceptHandler))])

    for node in walk(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package_of(path).split(".")
                parent = parent[:len(parent) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            yield node.lineno, base, [alias.name for alias in node.names]


def test_nothing_below_the_cli_imports_it_or_argparse():
    offending = []
    for path in sources().values():
        if path.is_relative_to(CLI):
            continue
        for line, module, _ in imports(path, module_level=False):
            if module in ("argparse", "harness.cli") or module.startswith("harness.cli."):
                offending.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}")
    assert not offending, "below harness/cli:\n" + "\n".join(offending)


def import_graph() -> dict[str, set[str]]:
    """harness module -> the harness modules it imports at module level. `from pkg import
    name` is an import of pkg.name when that is a module, else of pkg."""
    known = sources()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        edges = graph.setdefault(name, set())
        for _, module, names in imports(path, module_level=True):
            if not module.startswith("harness"):
                continue
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
            if len(targets) < len(names) or not names:
                targets.append(module)
            edges.update(t for t in targets if t in known and t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_among_harness_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle_and_its_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_scan_sees_imports_in_functions_but_not_type_checking_ones(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nimport json\n"
                      "if TYPE_CHECKING:\n    import argparse\n"
                      "def f():\n    import harness.cli\n")
    assert [m for _, m, _ in imports(module, module_level=True)] == ["typing", "json"]
    assert [m for _, m, _ in imports(module, module_level=False)] == [
        "typing", "json", "argparse", "harness.cli"]
