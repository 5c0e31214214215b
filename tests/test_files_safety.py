"""The files spider stays inside its folder, reads only regular files and bounds gzip output."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_scrapy, seed_path

from monitor.stations.documents import decode_document, scan_documents, strip_controls

LIMIT = 1_000_000  # MONITOR_MAX_FILE_BYTES of the crawl below


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An import folder with one real document and every way out of it."""
    base = tmp_path_factory.mktemp("hostile")
    inbox, outside = base / "in", base / "out"
    (inbox / "sub").mkdir(parents=True)
    (outside / "dir").mkdir(parents=True)
    (inbox / "a.txt").write_bytes(seed_path("000").read_bytes())
    (outside / "secret.txt").write_text("SECRET-FILE outside the folder " * 20)
    (outside / "dir" / "x.txt").write_text("SECRET-DIR outside the folder " * 20)
    (inbox / "leak.txt").symlink_to(outside / "secret.txt")
    (inbox / "linkdir").symlink_to(outside / "dir", target_is_directory=True)
    (inbox / "environ.txt").symlink_to("/proc/self/environ")
    (inbox / "sub" / "same.txt").symlink_to(inbox / "a.txt")  # inside: allowed
    os.mkfifo(inbox / "pipe.txt")
    # 3 MB of text in a 6 KB file: larger than LIMIT once decompressed.
    (inbox / "bomb.txt.gz").write_bytes(gzip.compress(b"child " * 500_000, 9))
    return inbox


@pytest.fixture(scope="module")
def crawled(hostile_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store after `scrapy crawl files` on the hostile folder (a FIFO read would hang)."""
    db = tmp_path_factory.mktemp("hostile-db") / "monitor.db"
    run_scrapy("files", "-a", f"path={hostile_folder}", "-s", f"MONITOR_MAX_FILE_BYTES={LIMIT}",
               db=db, timeout=180)
    return db


def errors(db: Path) -> dict[str, tuple[str, str]]:
    """fetch_errors by file name: (stage, reason)."""
    rows = sqlite_utils.Database(db).query("select url, stage, reason from fetch_errors")
    return {r["url"].rsplit("/", 1)[-1]: (r["stage"], r["reason"]) for r in rows}


def test_only_the_real_document_is_stored(crawled: Path, hostile_folder: Path) -> None:
    rows = list(sqlite_utils.Database(crawled).query("select url, text from articles"))
    assert [r["url"] for r in rows] == [(hostile_folder / "a.txt").resolve().as_uri()]
    assert "SECRET" not in rows[0]["text"]


def test_nothing_from_outside_is_stored(crawled: Path) -> None:
    db = sqlite_utils.Database(crawled)
    texts = " ".join(r["text"] or "" for r in db.query("select text from articles"))
    assert "SECRET-FILE" not in texts and "SECRET-DIR" not in texts
    assert "PATH=" not in texts


@pytest.mark.parametrize("name", ["leak.txt", "linkdir", "environ.txt"])
def test_symlinks_out_are_recorded(crawled: Path, name: str) -> None:
    stage, reason = errors(crawled)[name]
    assert stage == "fetch" and reason.startswith("symlink leaves the folder")


def test_fifo_is_recorded_not_read(crawled: Path) -> None:
    assert errors(crawled)["pipe.txt"] == ("fetch", "not a regular file (named pipe)")


def test_gzip_bomb_bounded_by_max_file_bytes(crawled: Path) -> None:
    assert errors(crawled)["bomb.txt.gz"] == ("decode", f"gzip expands beyond {LIMIT} bytes")


def test_run_counts_the_refusals(crawled: Path) -> None:
    (run,) = sqlite_utils.Database(crawled)["crawl_runs"].rows
    assert run["articles_new"] == 1 and run["fetch_errors"] == 5


def test_scan_lists_inside_symlink_as_its_target(hostile_folder: Path) -> None:
    found = dict(scan_documents(hostile_folder))
    assert found[(hostile_folder / "a.txt").resolve()] is None
    assert (hostile_folder / "sub" / "same.txt") not in found  # listed under its real path


def test_kernel_file_given_directly_is_refused() -> None:
    ((_, problem),) = scan_documents(Path("/proc/self/status"))
    assert problem is not None and "kernel file" in problem


def test_gunzip_limit_applies_to_decoded_documents() -> None:
    data = gzip.compress(b"x" * 2000)
    assert decode_document(data, "a.txt.gz", limit=2000).body == "x" * 2000
    with pytest.raises(ValueError, match="gzip expands beyond 1999 bytes"):
        decode_document(data, "a.txt.gz", limit=1999)


def test_control_characters_stripped_from_stored_titles() -> None:
    """Control characters leave the title once the body has passed the binary check (which
    needs to see them)."""
    from monitor.items import Article
    from monitor.stations.extraction import extract
    text = "Police recovered twelve missing children during a week-long operation. " * 6
    body = (f"<html><head><title>Hi\x1b[2J\x1b]0;pwned\x07 there</title></head><body>"
            f"<article><h1>Hi\x1b[2J there</h1><p>{text}</p></article></body></html>")
    article = extract(Article(url="file:///tmp/a.html", source="t", body=body), min_chars=50)
    assert article.title and not any(ord(c) < 32 for c in article.title)
    assert "Hi" in article.title and "there" in article.title


def test_strip_controls_keeps_text() -> None:
    assert strip_controls("Élan vital, 78 niños\n\tok") == "Élan vital, 78 niños\n\tok"
    assert strip_controls("a\x9bb\x7fc") == "abc"
