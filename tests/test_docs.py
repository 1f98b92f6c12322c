"""The documentation tells the truth about the interface.

People check Tidings from outside through what README.md and docs/*.md say:
every table, column, index and view of the archive must be in
docs/archive.md, and every option of every command in README.md.
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from pathlib import Path

import click
import pytest

from monitor.archive import Archive
from monitor.cli import cli
from monitor.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHIVE_DOC = (ROOT / "docs" / "archive.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("fresh") / "tidings.db"
    with Archive(path):
        pass
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'items_fts_%'"
            " AND name NOT LIKE 'articles_fts_%'"  # FTS5's shadow tables, as for items_fts
            " AND type IN ('table', 'view', 'index')"
        ).fetchall()
        columns = {name: [r[1] for r in db.execute(f"PRAGMA table_info('{name}')")] for kind, name in rows if kind != "index"}
    finally:
        db.close()
    return rows, columns


def test_archive_doc_names_every_table_view_and_index(schema):
    rows, _ = schema
    missing = [f"{kind} {name}" for kind, name in rows if f"`{name}`" not in ARCHIVE_DOC]
    assert missing == []


def test_archive_doc_describes_every_column(schema):
    _, columns = schema
    missing = [f"{table}.{col}" for table, cols in columns.items() for col in cols if f"`{col}`" not in ARCHIVE_DOC]
    assert missing == []


def _commands():
    return sorted(cli.commands.items())


@pytest.mark.parametrize("name, command", _commands())
def test_readme_documents_every_command_and_option(name, command):
    assert f"tidings {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            names = param.opts + param.secondary_opts
            found = [o for o in names if re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", README)]
            assert found, f"tidings {name} {names} is not in README.md"


def test_readme_toml_examples_are_valid_configurations():
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert len(blocks) >= 3
    for block in blocks:
        table = tomllib.loads(block)
        table.setdefault("source", [{"name": "unece-environment", "url": "https://unece.org/media/news"}])
        parse_config(table, "README.md")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_readme_internal_links_lead_to_headings():
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", README, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and sorted(links - anchors) == []


def test_readme_links_to_files_that_exist():
    for target in re.findall(r"\]\(((?:docs/)?[\w.-]+\.md)(?:#[^)]*)?\)", README):
        assert (ROOT / target).exists(), target


def _test_command() -> str:
    """README's one test command: the line after "Install Chromium and the test extras"."""
    section = README.split("## Set-up", 1)[1].split("## Commands", 1)[0]
    commands = [line.strip() for line in section.splitlines() if line.startswith("    ") and "pytest" in line]
    assert len(commands) == 1, commands
    return commands[0]


def test_ci_runs_readmes_test_command_with_the_browser_required():
    command = _test_command()
    assert command.startswith("apt-get update && apt-get install -y chromium && ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines()
    assert "export TIDINGS_REQUIRE_BROWSER=1" in ci
    main_job = [line.strip() for line in README.split("## Set-up", 1)[1].split("## Commands", 1)[0].splitlines()
                if line.strip().endswith("tidings run")]
    assert main_job == ["python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/tidings run"]
