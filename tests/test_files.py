"""`scrapy crawl files -a path=seeds`, run as a user runs it, asserted on the database."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_scrapy, seed_path
from fixture_site import EXPECTED, SENTENCES


def article(db: Path, prefix: str) -> dict:
    """The stored row of seed `prefix`."""
    rows = list(sqlite_utils.Database(db)["articles"].rows_where(
        "url = ?", [seed_path(prefix).resolve().as_uri()]))
    assert len(rows) == 1, f"seed {prefix} stored {len(rows)} times"
    return rows[0]


def test_five_articles_stored(seeded_db: Path) -> None:
    assert sqlite_utils.Database(seeded_db)["articles"].count == 5


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_language(seeded_db: Path, prefix: str) -> None:
    assert article(seeded_db, prefix)["language"] == EXPECTED[prefix][0]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_published(seeded_db: Path, prefix: str) -> None:
    assert article(seeded_db, prefix)["published"] == EXPECTED[prefix][1]


def test_date_sources(seeded_db: Path) -> None:
    assert article(seeded_db, "000")["date_source"] == "seed_marker"
    assert article(seeded_db, "002")["date_source"] == "text"
    assert article(seeded_db, "004")["date_source"] is None


@pytest.mark.parametrize("prefix", sorted(SENTENCES))
def test_body_sentence(seeded_db: Path, prefix: str) -> None:
    assert SENTENCES[prefix] in article(seeded_db, prefix)["text"]


def test_marker_not_in_text(seeded_db: Path) -> None:
    assert article(seeded_db, "000")["text"].startswith("EL PASO, Texas (KTSM)")


def test_run_recorded(seeded_db: Path) -> None:
    runs = list(sqlite_utils.Database(seeded_db)["crawl_runs"].rows)
    assert len(runs) == 1
    assert runs[0]["spider"] == "files" and runs[0]["articles_new"] == 5
    assert runs[0]["finished_at"] and runs[0]["fetch_errors"] == 0


def test_recrawl_adds_nothing(seeded_db: Path) -> None:
    run_scrapy("files", "-a", f"path={seed_path('000').parent}", db=seeded_db)
    db = sqlite_utils.Database(seeded_db)
    assert db["articles"].count == 5
    assert db["clusters"].count == len({r["cluster_id"] for r in db["articles"].rows})
    assert list(db.query("select articles_unchanged from crawl_runs order by id desc"))[0] == {
        "articles_unchanged": 5}


def test_full_text_search(seeded_db: Path) -> None:
    hits = list(sqlite_utils.Database(seeded_db)["articles"].search("CyberTipline"))
    assert [h["url"].split("/")[-1][:3] for h in hits] == ["004"]


def test_missing_path_is_a_usage_error(tmp_db: Path) -> None:
    result = run_scrapy("files", "-a", "path=/no/such/place", db=tmp_db, check=False)
    assert result.returncode != 0
    assert "path not found: /no/such/place" in result.stderr
    assert "Traceback" not in result.stderr
