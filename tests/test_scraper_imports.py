"""scraper/ reads one way: no module imports, even lazily, one that imports it back.

A circle means neither module can be read, tested or changed alone; the one
between extraction and automatic detection (extract calls detection, and
detection once took its selector types from extract) is the kind this keeps out.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scraper_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / "scraper").rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The scraper modules a file imports anywhere in it (top level, functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def import_graph() -> dict[str, set[str]]:
    modules = scraper_modules()
    return {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as the list of modules around it, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                return (path + [name])[(path + [name]).index(target):] + [target]
            if target not in state:
                found = visit(target, path + [name])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name, [])
            if found:
                return found
    return None


def test_the_scraper_package_has_no_import_circles():
    graph = import_graph()
    assert "scraper.autodetect.listing" in graph and "scraper.extract" in graph  # the walk sees the package
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_automatic_detection_never_imports_extraction():
    graph = import_graph()
    detection = [name for name in graph if name == "scraper.autodetect" or name.startswith("scraper.autodetect.")]
    assert len(detection) > 2
    assert not [name for name in detection if "scraper.extract" in graph[name]]
    assert "scraper.autodetect" in graph["scraper.extract"]


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
