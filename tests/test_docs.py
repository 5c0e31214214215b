"""The README documents every MONITOR_* setting, every spider, every `monitor` command and every
table of the store; the README and benchmarks/README.md hold current facts, not history."""

from __future__ import annotations

import re
from pathlib import Path

import click
from conftest import ROOT

from monitor import settings
from monitor.cli import cli
from monitor.store import Store

README = (ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "monitor") -> list[str]:
    """Every command of the CLI, as typed ("monitor clusters list")."""
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        paths += command_paths(command, path) if isinstance(command, click.Group) else [path]
    return paths


def test_two_setup_commands() -> None:
    assert "make run" in README and "make test" in README


def test_every_setting_documented() -> None:
    names = [n for n in dir(settings) if n.startswith("MONITOR_")]
    assert names
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"README does not document {missing}"


def test_every_command_documented() -> None:
    missing = [c for c in command_paths(cli) if c not in README]
    assert not missing, f"README does not document {missing}"


def test_every_spider_documented() -> None:
    spiders = [p.stem for p in (ROOT / "spiders").glob("*.py") if p.stem != "__init__"]
    missing = [s for s in spiders if not re.search(rf"scrapy crawl {s}\b", README)]
    assert not missing, f"README does not show how to run {missing}"


def store_tables(db: Path) -> list[str]:
    """The tables and views a store built by the migrations holds, but SQLite's own and the
    full-text index's shadow tables."""
    store = Store(db)
    names = store.db.table_names() + store.db.view_names()
    fts = [n for n in names if n.endswith("_fts")]
    store.close()
    return [n for n in names if not n.startswith("sqlite_")
            and not any(n.startswith(f + "_") for f in fts)]


def test_every_table_documented(tmp_path: Path) -> None:
    tables = store_tables(tmp_path / "monitor.db")
    assert {"articles", "clusters", "matches", "facts", "operations"} <= set(tables)
    missing = [t for t in tables if f"`{t}`" not in README]
    assert not missing, f"README does not document the tables {missing}"


def test_every_command_has_help_with_an_example() -> None:
    def commands(group: click.Group) -> list[click.Command]:
        found: list[click.Command] = [group]
        for command in group.commands.values():
            found += commands(command) if isinstance(command, click.Group) else [command]
        return found

    bare = [c.name for c in commands(cli) if "Example" not in (c.help or "")]
    assert not bare, f"commands without an example in their help: {bare}"


HISTORY = re.compile(r"\b(?:session|round) \d|\bissue \d|\bbefore issue\b", re.IGNORECASE)


def test_documents_hold_no_history() -> None:
    for name, text in (("README.md", README), ("benchmarks/README.md", BENCHMARKS)):
        found = HISTORY.findall(text)
        assert not found, f"{name} tells history: {found}"


def test_readme_sections_for_users() -> None:
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    for wanted in ("Install", "Crawl", "Querying with Datasette", "Exporting",
                   "Reviewing clusters", "Alerts", "Scheduling and run history", "Settings",
                   "The store", "How well it works"):
        assert wanted in headings, f"README has no section {wanted!r}"
    assert "Benchmarks" not in headings  # their details live in benchmarks/README.md
