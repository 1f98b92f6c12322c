"""The layers stay one-way: scraper/ (the Scrapy project and extraction
library) imports nothing from monitor/, lazy imports inside functions
included; `scrapy crawl` finds the monitor's components by name in
scraper/settings.py instead.

Run as a script, it also lists every import circle between the modules of
scraper/ and monitor/:  python tests/test_layers.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("scraper", "monitor")


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file, for every module of scraper/ and monitor/."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """(project module, line) for every import in the file: top-level, inside
    functions, under TYPE_CHECKING, and importlib.import_module("...") calls."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            # `from monitor import notify` imports the module monitor.notify
            targets = [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            targets = [node.args[0].value]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append((target, node.lineno))
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = project_modules(root)
    return {name: {t for t, _ in imported_modules(name, path, known)} for name, path in known.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another, directly or not (Tarjan's SCC)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_scraper_imports_nothing_from_monitor():
    known = project_modules()
    imports = [f"{path.relative_to(ROOT)}:{line} imports {target}"
               for name, path in known.items() if name.startswith("scraper")
               for target, line in imported_modules(name, path, known) if target.startswith("monitor")]
    assert imports == []


def test_the_scrapy_project_names_the_monitors_components_that_exist():
    """The strings that stand in for imports (ITEM_PIPELINES, TIDINGS_SOURCES) name real objects."""
    from scrapy.utils.misc import load_object

    import scraper.settings as settings

    assert [load_object(path).__name__ for path in settings.ITEM_PIPELINES] == ["ArchivePipeline"]
    assert callable(load_object(settings.TIDINGS_SOURCES))


def test_the_crawl_modules_import_one_another_one_way():
    """run, workers, crawl, the pipeline, record and the daemon are in no import circle."""
    crawl_modules = {"monitor.run", "monitor.workers", "monitor.crawl", "monitor.pipeline", "monitor.record",
                     "monitor.daemon", "scraper.spiders.listing", "scraper.plan"}
    assert [group for group in import_circles(import_graph()) if crawl_modules & set(group)] == []


def test_the_circle_finder_finds_a_circle_through_a_lazy_import(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "monitor" / "a.py").write_text("from monitor.b import thing\n")
    (tmp_path / "monitor" / "b.py").write_text("def thing():\n    from monitor import a\n")
    (tmp_path / "monitor" / "c.py").write_text("import monitor.a\n")
    assert import_circles(import_graph(tmp_path)) == [["monitor.a", "monitor.b"]]


if __name__ == "__main__":
    graph = import_graph()
    print(f"{len(graph)} modules in {', '.join(PACKAGES)}; {sum(map(len, graph.values()))} imports between them")
    circles = import_circles(graph)
    for group in circles:
        print("import circle:", " <-> ".join(group))
    print("no import circles" if not circles else f"{len(circles)} import circle(s)")
    sys.exit(1 if circles else 0)
