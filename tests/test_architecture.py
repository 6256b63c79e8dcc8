"""The house plan holds: each package imports only the packages below it, and no module imports
itself back round a loop (docs/architecture.md).

``bot`` is the shared core and imports no app; channels, actions and the console each stand on
``bot`` alone; the ``hotline`` command line may start any of them. Test support and benchmarks
are not part of the product, so no product package may import them.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, Tuple

from bot.config import PROJECT_ROOT

# Package -> the project packages its modules may import (itself included).
ALLOWED_IMPORTS: Dict[str, FrozenSet[str]] = {
    "bot": frozenset({"bot"}),
    "actions": frozenset({"bot", "actions"}),
    "channels": frozenset({"bot", "channels"}),
    "console": frozenset({"bot", "console"}),
    "hotline": frozenset({"actions", "bot", "channels", "console", "hotline"}),
}
PROJECT_PACKAGES = frozenset({*ALLOWED_IMPORTS, "testsupport", "benchmarks", "tests"})


def imports_of(path: Path) -> Iterator[Tuple[int, str]]:
    """Every module a file imports (at any depth: inside functions too), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def test_every_package_imports_only_what_the_house_plan_allows() -> None:
    wrong = []
    for package, allowed in ALLOWED_IMPORTS.items():
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            for line, module in imports_of(path):
                top = module.split(".")[0]
                if top in PROJECT_PACKAGES and top not in allowed:
                    wrong.append(f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}")
    assert wrong == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def serve():\n    from channels.twilio_receiver import serve\n", encoding="utf-8")
    assert list(imports_of(module)) == [(2, "channels.twilio_receiver")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> Iterator[str]:
    """Modules imported when this module is imported (not those imported inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)  # `from pkg import module`


def test_no_module_of_the_product_imports_itself_back_round_a_loop() -> None:
    paths = [path for package in ALLOWED_IMPORTS for path in (PROJECT_ROOT / package).rglob("*.py")]
    modules = {module_name(path): path for path in paths}
    graph = {name: sorted({imported for imported in top_level_imports(path) if imported in modules and imported != name})
             for name, path in modules.items()}
    loops = []
    state: Dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: Tuple[str, ...]) -> None:
        state[name] = 1
        for imported in graph[name]:
            if state.get(imported) == 1:
                loops.append(" -> ".join(trail[trail.index(imported):] + (name, imported)) if imported in trail else f"{name} -> {imported}")
            elif imported not in state:
                visit(imported, trail + (name,))
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, ())
    assert loops == []
