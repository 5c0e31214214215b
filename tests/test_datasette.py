"""`datasette STORE --get ...` on a crawled store named anything: the monitor's metadata,
facets, search and canned queries apply, internals are hidden, and the pages lead to the work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BIN

from monitor.items import Article
from monitor.store import Store

NAME = "news-2026"  # not monitor.db: the metadata must follow the store, not its file name
MARSHALS_TEXT = ("Deputies of the U.S. Marshals found a 12-year-old girl reported missing "
                 "from Tucson, the agency said on Monday, after a week-long search.")


def datasette_get(db: Path, path: str, *options: str) -> str:
    """Run `datasette DB --get PATH` as a user would and return what it prints."""
    result = subprocess.run([str(BIN / "datasette"), str(db), *options, "--get", path],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def get_json(db: Path, path: str) -> dict | list:
    """A JSON page of the served store."""
    return json.loads(datasette_get(db, path))


@pytest.fixture
def store(seeded_db: Path) -> Path:
    """The seeded store under another name, with one more article of our own."""
    db = seeded_db.parent / f"{NAME}.db"
    shutil.copy(seeded_db, db)
    writer = Store(db)
    writer.save_article(Article(url="https://example.org/tucson", source="example.org",
                                title="Missing girl found", text=MARSHALS_TEXT,
                                published="2024-02-05", language="en", content_hash="t1"))
    writer.close()
    return db


def test_language_facet(store: Path) -> None:
    data = get_json(store, f"/{NAME}/articles.json?_facet=language")
    facet = {r["value"]: r["count"] for r in data["facet_results"]["language"]["results"]}
    assert facet == {"en": 5, "fr": 1}  # seeds 000, 001, 003, 004 and ours; 002 in French


def test_full_text_search_in_the_table(store: Path) -> None:
    rows = get_json(store, f"/{NAME}/articles.json?_search=Sunland&_shape=array")
    # "Sunland Park" appears in 000 (English) and 002 (French) only.
    assert sorted(Path(r["url"]).name[:3] for r in rows) == ["000", "002"]


def search(store: Path, typed: str) -> list[str]:
    """The search_articles canned query for what a person typed: file names (or URLs)."""
    from urllib.parse import quote

    rows = get_json(store, f"/{NAME}/search_articles.json?_shape=array&q={quote(typed)}")
    assert isinstance(rows, list), rows
    return sorted(r["title"] if r["id"] > 5 else str(r["id"]) for r in rows)


def test_search_takes_what_people_type(store: Path) -> None:
    # "U.S. Marshals" is written in seeds 000, 001 and 002 (ids 1 to 3), and in our article.
    assert search(store, "U.S. Marshals") == ["1", "2", "3", "Missing girl found"]
    assert search(store, "12-year-old") == ["Missing girl found"]
    assert search(store, "Tucson AND") == []  # words, not operators: no "and" in ours
    for nothing in ("", "   ", '"', '""'):
        assert search(store, nothing) == []


def test_empty_search_page_shows_no_error(store: Path) -> None:
    html = datasette_get(store, f"/{NAME}/search_articles")
    assert "syntax error" not in html and 'name="q"' in html


def test_canned_query_articles_per_language_per_month(store: Path) -> None:
    rows = get_json(store, f"/{NAME}/articles_per_language_per_month.json?_shape=array")
    assert {"month": "2021-07", "language": "fr", "articles": 1} in rows
    assert {"month": "2021-07", "language": "en", "articles": 1} in rows


def test_internal_tables_are_hidden(store: Path) -> None:
    tables = {t["name"]: t["hidden"] for t in get_json(store, f"/{NAME}.json")["tables"]}
    for internal in ("_sqlite_migrations", "dedup_anchors", "dedup_term_df", "url_checks",
                     "http_validators"):
        assert tables[internal] is True, internal
    for table in ("articles", "clusters", "matches", "facts", "review_log", "crawl_runs"):
        assert tables[table] is False, table


def test_home_and_database_pages_lead_to_the_work(store: Path) -> None:
    for page in ("/", f"/{NAME}"):
        html = datasette_get(store, page)
        assert f'href="/{NAME}/operations?_sort_desc=first_reported"' in html
        for link in ('href="/-/clusters"', 'href="/-/clusters/dashboard"',
                     f'href="/{NAME}/search_articles"'):
            assert link in html, (page, link)
    database = datasette_get(store, f"/{NAME}")
    box = re.search(r'<textarea id="sql-editor" name="sql">([^<]*)', database)
    assert box and "_sqlite_migrations" not in box.group(1) and "dedup" not in box.group(1)


def test_operations_newest_first_linked_with_agencies_and_places(store: Path) -> None:
    rows = get_json(store, f"/{NAME}/operations.json?_shape=array")
    # Capital Region (003, 2025-03), Rescue Me (000 + 002, 2021-07), Lost Souls (001, 2021-06).
    assert [r["first_reported"][:7] for r in rows] == ["2025-03", "2021-07", "2021-06"]
    rescue = rows[1]
    assert rescue["name"] == "Operation Rescue Me" and rescue["children_total"] == 78
    assert "Las Cruces Police Department" in rescue["agencies"]
    assert "Dona Ana County" in rescue["places"]
    html = datasette_get(store, f"/{NAME}/operations")
    assert f'<a href="/-/clusters/{rescue["cluster_id"]}"' in html


def test_long_texts_are_cut_in_tables_when_served(store: Path) -> None:
    cut = ["--setting", "truncate_cells_html", "300"]  # what `monitor serve` passes
    table = datasette_get(store, f"/{NAME}/articles", *cut)
    cells = re.findall(r'<td class="col-text[^"]*">(.*?)</td>', table, re.S)
    assert cells and max(len(c) for c in cells) <= 301  # 300 characters and "…"
    # Seed 002's French text is long; its row page shows all of it.
    row = datasette_get(store, f"/{NAME}/articles/3", *cut)
    assert "retrouver et/ou de localiser 78 mineurs" in row
    full = re.findall(r'<td class="col-text[^"]*">(.*?)</td>', row, re.S)
    assert full and len(full[0]) > 1000
