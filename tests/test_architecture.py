"""The house plan holds: each package imports only the packages below it (docs/architecture.md).

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
    "hotline": frozenset({"bot", "channels", "console", "hotline"}),
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
