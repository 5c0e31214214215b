"""A crawl and reviews at the same time: writers wait for each other, nothing is lost.

`scrapy crawl files` stores 2,000 small articles (pairs of exact copies, so that clusters of
two exist to review) while a reviewer confirms clusters on the Datasette review pages and
merges, splits and chooses representatives with `monitor clusters ...`, in a loop. Every
article and every review decision must be stored, and no side may fail with "database is
locked". 2,000 articles rather than 3,000: about 20 s of crawling alone, which keeps the test
under a minute while the crawl and the reviewer share the CPU.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import time
from pathlib import Path

from conftest import BIN, ROOT
from test_review_routes import Client

ARTICLES = 2000
WORDS = ("river valley harbor mountain county village station market bridge garden school "
         "library council museum highway airport forest island canyon meadow").split()


def story(k: int) -> str:
    """A short English report, distinct for each `k` (its words and numbers)."""
    r = random.Random(k)
    place = "".join(r.choice("bcdfghklmnprstvz") + r.choice("aeiou") for _ in range(4)).title()
    words = " ".join(f"{r.choice(WORDS)}{r.randint(10, 99999)}" for _ in range(25))
    return (f"date 2024-{1 + k % 12:02d}-{1 + k % 28:02d} {place} police said officers "
            f"located {3 + k % 40} missing children during Operation {place}{k} on Tuesday. "
            f"The operation covered {words}. Officials in {place} thanked the residents and "
            f"the agencies of {place} county for their help with case {k}.\n")


def write_documents(folder: Path, count: int) -> None:
    """`count` text files; files 2k and 2k+1 hold the same story (an exact copy)."""
    folder.mkdir()
    for i in range(count):
        (folder / f"doc{i:05d}.txt").write_text(story(i // 2), encoding="utf-8")


def monitor(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`monitor --db db ...` as a reviewer types it."""
    return subprocess.run([str(BIN / "monitor"), "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def reviewable(db: Path, used: set[int]) -> list[tuple[int, list[int], int]]:
    """(cluster, members, representative) of clusters of two not reviewed yet (read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "select c.id, group_concat(a.id), c.representative_id from clusters c join "
            "articles a on a.cluster_id = c.id where c.size = 2 and c.status = 'auto' "
            "group by c.id order by c.id").fetchall()
    except sqlite3.OperationalError:  # the crawl has not created the schema yet
        return []
    finally:
        conn.close()
    return [(c, sorted(map(int, m.split(","))), r) for c, m, r in rows if c not in used]


def next_decision(db: Path, used: set[int], turn: int) -> list[str] | None:
    """The next review command: confirm, representative, split or merge, in turn."""
    found = reviewable(db, used)
    if len(found) < 2:
        return None
    (cluster, members, rep), (other, _, _) = found[0], found[1]
    used.add(cluster)
    kind = ("confirm", "representative", "split", "merge")[turn % 4]
    if kind == "confirm":
        return ["confirm", str(cluster)]
    if kind == "merge":
        used.add(other)
        return ["merge", str(cluster), str(other)]
    return [kind, str(cluster), str(next(m for m in members if m != rep))]


def test_reviews_during_a_crawl_lose_nothing(tmp_path: Path) -> None:
    docs, db = tmp_path / "docs", tmp_path / "monitor.db"
    write_documents(docs, ARTICLES)
    crawl = subprocess.Popen(
        [str(BIN / "scrapy"), "crawl", "files", "-a", f"path={docs}", "-s", f"MONITOR_DB={db}"],
        cwd=ROOT, env={**os.environ, "MONITOR_DB": str(db)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    decisions: list[list[str]] = []
    used: set[int] = set()
    pages: Client | None = None
    try:
        while crawl.poll() is None:
            command = next_decision(db, used, len(decisions)) if db.exists() else None
            if command is None:
                time.sleep(0.2)
                continue
            if command[0] == "confirm":  # on the review pages, as a signed-in reviewer
                pages = pages or Client(db, actor="tester")
                confirm_on_the_page(pages, int(command[1]))
            else:
                result = monitor(db, "clusters", *command, "--actor", "tester")
                assert result.returncode == 0, (command, result.stderr)
            decisions.append(command)
        _, stderr = crawl.communicate(timeout=120)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert crawl.returncode == 0, stderr[-3000:]
    assert "locked" not in stderr
    assert len(decisions) >= 12, f"only {len(decisions)} reviews ran during the crawl"
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone()[0] == ARTICLES
    assert conn.execute("select count(*) from fetch_errors").fetchone()[0] == 0
    assert conn.execute("select count(*) from articles a left join clusters c on "
                        "c.id = a.cluster_id where c.id is null").fetchone()[0] == 0
    logged = conn.execute("select action, cluster_id from review_log order by id").fetchall()
    assert logged == [(c[0], int(c[1])) for c in decisions]
    for command in decisions:
        check_decision(conn, command)


def confirm_on_the_page(pages: Client, cluster: int) -> None:
    """Confirm a cluster with the cluster page's form (CSRF token and all)."""
    token = pages.csrftoken(f"/-/clusters/{cluster}")
    response = pages.post(f"/-/clusters/{cluster}/confirm", {"csrftoken": token})
    assert response.status_code in (200, 302, 303), (cluster, response.status_code,
                                                      response.text[:300])


def check_decision(conn: sqlite3.Connection, command: list[str]) -> None:
    """The effect of one review command is in the store after the crawl."""
    kind, cluster = command[0], int(command[1])
    status, rep = conn.execute("select status, representative_id from clusters where id = ?",
                               [cluster]).fetchone()
    if kind == "confirm":
        assert status == "confirmed"
    elif kind == "representative":
        assert rep == int(command[2]) and status == "edited"
    elif kind == "split":
        assert conn.execute("select count(*) from cluster_exclusions where article_id = ? "
                            "and cluster_id = ?", [int(command[2]), cluster]).fetchone()[0] == 1
    else:
        assert conn.execute("select into_id from cluster_merges where from_id = ?",
                            [int(command[2])]).fetchone() == (cluster,)
