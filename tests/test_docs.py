"""The README documents every MONITOR_* setting, every spider and every `monitor` command."""

from __future__ import annotations

import re

import click
from conftest import ROOT

from monitor import settings
from monitor.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def test_every_table_documented() -> None:
    for table in ("articles", "clusters", "matches", "facts", "crawl_runs", "fetch_errors",
                  "review_log"):
        assert f"`{table}`" in README
