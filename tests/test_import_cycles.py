"""No import circles between the files of the config, validators, schedule, notifier and CLI modules.

Every import counts, including ones inside functions (a circle of lazy imports is
still two modules that need each other); imports under `if TYPE_CHECKING:` do not.
Importing a.b.c runs a/__init__.py and a/b/__init__.py too, so those count.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("monitor.config", "monitor.validators", "monitor.durations", "monitor.schedule", "monitor.notify",
           "monitor.cli", "monitor.status")


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for package in ("monitor", "scraper"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: dict):
        self.module, self.is_package, self.known, self.found = module, is_package, known, set()

    def _add(self, dotted: str) -> None:
        parts = dotted.split(".")
        self.found.update(m for m in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if m in self.known)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING":
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        self._add(base)
        for alias in node.names:
            self._add(f"{base}.{alias.name}")


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    graph = {}
    for module, (path, is_package) in known.items():
        visitor = _Imports(module, is_package, known)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        enclosing = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
        graph[module] = visitor.found - enclosing
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_the_checker_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_config_notifiers_and_cli_import_no_circle():
    graph = import_graph()
    assert "monitor.notify.outbox" in graph["monitor.cli.alerts"]  # the graph sees real imports
    tangled = [group for group in circles(graph) if any(m.startswith(CHECKED) for m in group)]
    assert tangled == []


def test_notifier_kinds_do_not_import_the_config_parser():
    graph = import_graph()
    for kind in ("base", "email", "webhook", "apprise", "registry"):
        assert not {m for m in graph[f"monitor.notify.{kind}"] if m.startswith("monitor.config")}, kind
