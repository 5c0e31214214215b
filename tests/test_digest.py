"""Alerts: `monitor digest` and the Atom feed of new operation stories, on stores built by real
`scrapy crawl files` runs over the seeds and one more document written for these tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import BIN, ROOT, run_scrapy
from lxml import etree

from monitor.cli import cli
from monitor.store import Store

METADATA = ROOT / "monitor" / "review" / "datasette" / "metadata.json"
EXTRA = ROOT / "tests" / "fixtures" / "alerts"
ATOM = "{http://www.w3.org/2005/Atom}"
# The operation stories of the seeds: 000 (English) and 002 (French) report Operation Rescue
# Me, 001 Operation Lost Souls, 003 the Capital Region operation; 004 is NCMEC statistics.
SEED_STORIES = {"Operation Rescue Me": ["000", "002"], "Operation Lost Souls": ["001"],
                "Capital Region Missing Child Rescue Operation": ["003"]}


def digest(db: Path, *args: str) -> Result:
    """Run `monitor --db DB digest ARGS...`."""
    return CliRunner().invoke(cli, ["--db", str(db), "digest", *args])


def digest_json(db: Path, *args: str) -> dict[str, Any]:
    """The JSON digest, parsed."""
    result = digest(db, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The digest's stories by operation name."""
    return {story["name"]: story for story in data["stories"]}


def seed_prefixes(story: dict[str, Any]) -> list[str]:
    """The seed numbers of a story's reports."""
    return sorted(Path(a["url"]).name[:3] for a in story["articles"])


def test_first_digest_lists_the_seed_operations(seeded_db: Path) -> None:
    stories = by_name(digest_json(seeded_db))
    assert {name: seed_prefixes(s) for name, s in stories.items()} == SEED_STORIES
    rescue = stories["Operation Rescue Me"]
    # 000: "location of 78 missing minors"; "Three minors recovered, 75 minors located".
    assert rescue["counts"]["children_total"] == 78
    assert rescue["counts"]["children_located"] == 75
    assert rescue["counts"]["children_recovered"] == 3
    assert sorted(rescue["languages"]) == ["en", "fr"]
    assert rescue["reports"] == 2
    assert "Las Cruces Police Department" in rescue["agencies"]
    assert "Dona Ana County" in rescue["places"]
    assert rescue["page"] == f"/-/clusters/{rescue['cluster_id']}"
    assert stories["Operation Lost Souls"]["counts"]["children_total"] == 24
    assert stories["Capital Region Missing Child Rescue Operation"]["counts"][
        "children_total"] == 64


def test_second_digest_lists_nothing_new(seeded_db: Path) -> None:
    assert len(digest_json(seeded_db)["stories"]) == 3
    again = digest(seeded_db)
    assert again.exit_code == 0
    assert again.output.startswith("0 new operation stories since the previous digest")
    assert digest_json(seeded_db)["stories"] == []
    assert digest(seeded_db, "--skip-empty").output == ""


def test_a_new_crawl_lists_only_its_new_story(seeded_db: Path) -> None:
    digest(seeded_db)
    run_scrapy("files", "-a", f"path={EXTRA}", db=seeded_db)
    data = digest_json(seeded_db, "--base-url", "http://127.0.0.1:8001/")
    assert [s["name"] for s in data["stories"]] == ["Operation Harbor Light"]
    story = data["stories"][0]
    # harbor_light.txt: "located 17 missing children ... 11 were recovered and 6 were located
    # ... made 4 arrests"
    assert story["counts"] == {"children_total": 17, "children_recovered": 11,
                               "children_located": 6, "arrests": 4}
    assert story["languages"] == ["en"]
    assert "Oregon State Police" in story["agencies"]
    assert "Multnomah County" in story["places"]
    assert story["page"] == f"http://127.0.0.1:8001/-/clusters/{story['cluster_id']}"
    assert [Path(a["url"]).name for a in story["articles"]] == ["harbor_light.txt"]
    assert digest_json(seeded_db)["stories"] == []


def test_text_digest_names_counts_and_links(seeded_db: Path) -> None:
    text = digest(seeded_db).output
    assert text.startswith("3 new operation stories since the first crawl")
    assert "78 children, 3 recovered, 75 located" in text
    assert "2 report(s) in en, fr" in text
    assert all(f"/seeds/{prefix}_" in text for prefix in ("000", "001", "002", "003"))
    assert "/seeds/004_" not in text


def test_dry_run_and_dates_do_not_move_the_cut(seeded_db: Path) -> None:
    assert len(digest_json(seeded_db, "--dry-run")["stories"]) == 3
    assert len(digest_json(seeded_db, "--since", "2000-01-01")["stories"]) == 3
    assert digest_json(seeded_db, "--since", "2999-01-01")["stories"] == []
    assert len(digest_json(seeded_db)["stories"]) == 3  # still the first last-run digest


@pytest.mark.parametrize("since", ["yesterday", "2025-13-01", "2025-1-1"])
def test_bad_since_is_a_usage_error(seeded_db: Path, since: str) -> None:
    result = digest(seeded_db, "--since", since)
    assert result.exit_code == 2
    assert "--since must be last-run or a date YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output


def test_digest_of_a_missing_store_is_one_line(tmp_path: Path) -> None:
    result = digest(tmp_path / "nowhere.db")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: no store at")


class TagChecker(HTMLParser):
    """Checks that elements nest and close properly, and collects the links."""

    VOID = {"meta", "br", "img", "link", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.links: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unexpected </{tag}>")


def test_html_digest_is_well_formed(seeded_db: Path) -> None:
    run_scrapy("files", "-a", f"path={EXTRA}", db=seeded_db)
    html = digest(seeded_db, "--format", "html").output
    assert html.startswith("<!DOCTYPE html>")
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert html.count("<section>") == 4
    assert "/-/clusters/" in " ".join(checker.links)
    assert any(link.endswith("harbor_light.txt") for link in checker.links)
    # The document's title has an ampersand: "Oregon State Police & FBI locate ..."
    assert "Oregon State Police &amp; FBI" in html and "Police & FBI" not in html


def datasette_get(db: Path, path: str) -> str:
    """What real Datasette (with the project's metadata and plugins) answers for `path`."""
    result = subprocess.run(
        [str(BIN / "datasette"), str(db), "-m", str(METADATA), "--get", path],
        capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


def served(db: Path) -> Path:
    """The store under the name the metadata describes (monitor.db)."""
    target = db.parent / "served" / "monitor.db"
    target.parent.mkdir(exist_ok=True)
    shutil.copy(db, target)
    return target


def test_atom_feed_has_an_entry_per_operation_story(seeded_db: Path) -> None:
    feed = etree.fromstring(datasette_get(served(seeded_db),
                                          "/monitor/new_operations.atom").encode())
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert len(entries) == 3
    for name in SEED_STORIES:
        assert sum(name in title for title in titles) == 1, (name, titles)
    store = Store.open_read_only(seeded_db)
    rescue = store.db.execute("select cluster_id from articles a join clusters c on "
                              "c.id = a.cluster_id where a.url like '%/000_%'").fetchone()[0]
    store.close()
    entry = next(e for e in entries if "Rescue Me" in e.findtext(f"{ATOM}title"))
    assert entry.findtext(f"{ATOM}id") == f"urn:news-monitor:story:{rescue}"
    assert entry.find(f"{ATOM}link").get("href") == f"/-/clusters/{rescue}"
    assert "children: 78" in entry.findtext(f"{ATOM}content")


def test_atom_feed_of_an_empty_store_is_valid(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    Store(db).close()
    feed = etree.fromstring(datasette_get(db, "/monitor/new_operations.atom").encode())
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [
        "No operation story yet"]
