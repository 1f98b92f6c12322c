"""pyproject.toml tells the truth: what the packages import is declared, and what is declared is imported.

An undeclared import works only while another dependency happens to pull it
in; a declared dependency nothing imports is a download for nothing.  The
imports are read from the source (every `import` of scraper/ and monitor/,
lazy ones inside functions too) and mapped to distributions by the
installed metadata.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.helpers import ROOT

PACKAGES = ("scraper", "monitor")

# Declared runtime dependencies the packages do not import, each with its reason.
NOT_IMPORTED_ON_PURPOSE: dict[str, str] = {
    "lxml-html-clean": "trafilatura needs lxml's HTML cleaner, which lxml >= 5.2 moved out to this package",
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.match(r"\s*([A-Za-z0-9_.-]+)", requirement).group(1))


def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _imported_modules() -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES and top != "__future__":
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _imported_distributions() -> dict[str, set[str]]:
    by_module = packages_distributions()
    found: dict[str, set[str]] = {}
    for module, files in _imported_modules().items():
        assert module in by_module, f"{module} (imported by {sorted(files)}) belongs to no installed distribution"
        for distribution in by_module[module]:
            found.setdefault(_normalise(distribution), set()).update(files)
    return found


def test_every_third_party_import_is_declared():
    project = _project()
    declared = {_requirement_name(r) for r in project["dependencies"]}
    optional = {_requirement_name(r) for extra, reqs in project["optional-dependencies"].items()
                if extra != "test" for r in reqs}
    undeclared = {d: sorted(files) for d, files in _imported_distributions().items() if d not in declared | optional}
    assert undeclared == {}


def test_every_declared_runtime_dependency_is_imported():
    imported = _imported_distributions()
    unused = [name for name in map(_requirement_name, _project()["dependencies"])
              if name not in imported and name not in NOT_IMPORTED_ON_PURPOSE]
    assert unused == []
