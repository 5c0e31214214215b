"""Bad input for the `files` spider: each case is a fetch_errors row, the crawl goes on, the
summary counts them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, ROOT, run_scrapy, seed_path

CP1252_TEXT = (
    "“Operation Safe Harbor” located 31 missing children — the youngest was 9 — across three "
    "counties, the sheriff’s office said on Tuesday. Detectives worked with the state police "
    "and child-welfare caseworkers for six weeks. “Every one of these children is now with a "
    "guardian or in a safe placement,” the sheriff said. The operation cost about €40,000 in "
    "overtime, paid by a regional grant for missing-child investigations.\n"
)
LATIN1_TEXT = (
    "La police judiciaire a retrouvé dix-sept mineurs disparus lors d'une opération menée "
    "pendant trois semaines à Liège et à Namur. Les enquêteurs ont été aidés par les services "
    "de l'aide à la jeunesse et par une association de soutien aux familles. « Chaque enfant a "
    "été entendu par un éducateur », a précisé le parquet, qui évoque des fugues répétées et "
    "des situations de grande précarité. Deux majeurs ont été interpellés.\n"
)
NO_ARTICLE_HTML = (
    "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a> "
    "<a href='/news'>News</a></nav><footer>Contact · Privacy</footer></body></html>"
)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A directory of bad files and one good seed, crawled by `scrapy crawl files`."""
    tmp = tmp_path_factory.mktemp("bad_input")
    docs = tmp / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (docs / "cp1252.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (docs / "latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    (docs / "no-article.html").write_text(NO_ARTICLE_HTML, encoding="utf-8")
    (docs / "good.txt").write_bytes(seed_path("000").read_bytes())
    db = tmp / "monitor.db"
    run_scrapy("files", "-a", f"path={docs}", db=db)
    summary = subprocess.run([str(BIN / "monitor"), "--db", str(db), "summary"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=True).stdout
    return db, docs, summary


def errors_for(db: Path, path: Path) -> list[tuple[str, str]]:
    """(stage, reason) of the fetch_errors rows of one file."""
    rows = sqlite_utils.Database(db)["fetch_errors"].rows_where("url = ?", [path.as_uri()])
    return [(r["stage"], r["reason"]) for r in rows]


def text_of(db: Path, path: Path) -> str | None:
    """The stored text of one file, or None when it was not stored."""
    rows = list(sqlite_utils.Database(db)["articles"].rows_where("url = ?", [path.as_uri()]))
    return rows[0]["text"] if rows else None


def test_crawl_goes_on(crawled: tuple[Path, Path, str]) -> None:
    db, docs, _ = crawled
    assert "The recovered children range in age from 5 to 18 years old." in (
        text_of(db, docs / "good.txt") or "")


def test_empty_file(crawled: tuple[Path, Path, str]) -> None:
    db, docs, _ = crawled
    assert errors_for(db, docs / "empty.txt") == [("extraction", "empty document")]
    assert text_of(db, docs / "empty.txt") is None


def test_binary_file(crawled: tuple[Path, Path, str]) -> None:
    db, docs, _ = crawled
    assert ("extraction", "binary content, not text") in errors_for(db, docs / "binary.txt")
    assert text_of(db, docs / "binary.txt") is None


@pytest.mark.parametrize(("name", "text"), [("cp1252.txt", CP1252_TEXT),
                                            ("latin1.txt", LATIN1_TEXT)])
def test_undeclared_charset_decoded_and_recorded(crawled: tuple[Path, Path, str], name: str,
                                                 text: str) -> None:
    db, docs, _ = crawled
    assert text_of(db, docs / name) == text.strip()
    (stage, reason), = errors_for(db, docs / name)
    assert stage == "decode" and reason.startswith("no declared charset: decoded as ")


def test_html_without_article(crawled: tuple[Path, Path, str]) -> None:
    db, docs, _ = crawled
    assert [stage for stage, _ in errors_for(db, docs / "no-article.html")] == ["extraction"]
    assert text_of(db, docs / "no-article.html") is None


def test_summary_counts_the_errors(crawled: tuple[Path, Path, str]) -> None:
    db, docs, summary = crawled
    total = sqlite_utils.Database(db)["fetch_errors"].count
    assert total >= 5
    assert f"{total} errors" in summary
    for name in ("empty.txt", "binary.txt", "cp1252.txt", "latin1.txt", "no-article.html"):
        assert (docs / name).as_uri() in summary
