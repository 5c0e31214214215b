"""`monitor clusters ...`: review in a terminal, and review decisions that later crawls keep."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import run_scrapy, seed_path
from fixtures.review.stores import build_review_store

from monitor.cli import cli
from monitor.store import Store

COMMANDS = ["list", "show", "confirm", "split", "merge", "representative"]


def monitor(db: Path, *args: str) -> Result:
    """Run `monitor --db DB clusters ARGS...`."""
    return CliRunner().invoke(cli, ["--db", str(db), "clusters", *map(str, args)])


def log_rows(db: Path) -> list[dict[str, Any]]:
    """The review_log rows, oldest first."""
    store = Store(db)
    rows = list(store.db["review_log"].rows_where(order_by="id"))
    store.close()
    return rows


@pytest.fixture
def fixture_db(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """The review fixture store."""
    db = tmp_path / "monitor.db"
    return db, build_review_store(db)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, ["clusters", command, "--help"])
    assert result.exit_code == 0
    assert "Example: monitor clusters " + command in result.output


def test_list_orders_and_filters(fixture_db: tuple[Path, dict[str, int]]) -> None:
    db, ids = fixture_db
    lines = monitor(db, "list").output.splitlines()
    assert lines[0].startswith("3 clusters")
    assert lines[2].split()[:4] == [str(ids["story"]), "2", "en,fr", "auto"]
    assert "[2 articles, 2 languages, borderline score 0.80]" in lines[2]
    spanish = monitor(db, "list", "--language", "es").output
    assert "Lost Souls" in spanish and "Rescue" not in spanish
    assert monitor(db, "list", "--status", "confirmed").output.strip() == "No clusters match."


def test_show_members_evidence_and_facts(fixture_db: tuple[Path, dict[str, int]]) -> None:
    db, ids = fixture_db
    out = monitor(db, "show", ids["story"]).output
    assert f" * #{ids['ktsm']} [en] 2021-07-21 ktsm.com" in out
    assert f"   #{ids['b911']} [fr] 2021-07-22 breaking911.fr" in out
    assert f"translation of #{ids['ktsm']} by story (score 0.80)" in out
    # The French report has no facts: 78 and 75 are counts by the English report's facts.
    assert "shares 78 children, 75 located; no contradiction" in out
    assert "also names Rescue Me, Dona Ana, Sunland Park" in out
    assert "Operation: (unnamed) · 78 children (75 located, 3 recovered)" in out
    assert "children_recovered = 3" in out


def test_decisions_write_review_log(fixture_db: tuple[Path, dict[str, int]]) -> None:
    db, ids = fixture_db
    story, b911 = ids["story"], ids["b911"]
    result = monitor(db, "split", story, b911, "--actor", "ana")
    assert result.exit_code == 0, result.output
    new_id = json.loads(log_rows(db)[-1]["after"])["new_cluster_id"]
    assert result.output.strip() == (
        f"Split article {b911} out of cluster {story} into cluster {new_id}.")
    assert monitor(db, "merge", story, new_id, "--actor", "ana").exit_code == 0
    assert monitor(db, "representative", story, b911, "--actor", "ana").exit_code == 0
    assert monitor(db, "confirm", story, "--actor", "ana").exit_code == 0
    rows = log_rows(db)
    assert [(r["action"], r["actor"], r["cluster_id"]) for r in rows] == [
        ("split", "ana", story), ("merge", "ana", story),
        ("representative", "ana", story), ("confirm", "ana", story)]
    assert json.loads(rows[0]["before"])["members"] == [ids["ktsm"], b911]
    assert json.loads(rows[0]["after"])["members"] == [ids["ktsm"]]
    assert json.loads(rows[2]["after"])["representative_id"] == b911
    out = monitor(db, "show", story).output
    assert out.startswith(f"Cluster {story} · confirmed · 2 articles")
    assert f" * #{b911} [fr]" in out and "ana  confirm" in out


def test_default_actor_is_the_login(fixture_db: tuple[Path, dict[str, int]],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = fixture_db
    monkeypatch.setattr("getpass.getuser", lambda: "kim")
    monitor(db, "confirm", ids["story"])
    assert log_rows(db)[0]["actor"] == "cli:kim"


@pytest.mark.parametrize("args, message", [
    (["show", 999], "unknown cluster 999"),
    (["confirm", 999], "unknown cluster 999"),
    (["split", 1, 5], "article 5 is not a member of cluster 1"),
    (["split", 3, 5], "article 5 is the only member of cluster 3"),
    (["merge", 1, 1], "cannot merge cluster 1 into itself"),
    (["merge", 1, 999], "unknown cluster 999"),
    (["representative", 1, 4], "article 4 is not a member of cluster 1"),
])
def test_user_errors(fixture_db: tuple[Path, dict[str, int]], args: list[Any],
                     message: str) -> None:
    db, _ = fixture_db
    result = monitor(db, *args)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert log_rows(db) == []


def test_merged_cluster_points_to_its_new_home(fixture_db: tuple[Path, dict[str, int]]) -> None:
    db, ids = fixture_db
    monitor(db, "merge", ids["story"], ids["lone_cluster"])
    result = monitor(db, "show", ids["lone_cluster"])
    assert f"unknown cluster {ids['lone_cluster']} (merged into cluster {ids['story']})" in (
        result.output)


def test_missing_store_is_a_user_error(tmp_path: Path) -> None:
    result = monitor(tmp_path / "none.db", "list")
    assert result.exit_code == 1 and "no store at" in result.output


# ----- decisions stick on later crawls -----


class Crawl:
    """A directory of .txt documents crawled with `scrapy crawl files` into one store."""

    def __init__(self, tmp_path: Path, *seeds: str) -> None:
        self.dir = tmp_path / "docs"
        self.dir.mkdir()
        self.db = tmp_path / "monitor.db"
        for prefix in seeds:
            shutil.copy(seed_path(prefix), self.dir / f"{prefix}.txt")

    def run(self) -> None:
        run_scrapy("files", "-a", f"path={self.dir}", db=self.db)

    def add(self, name: str, text: str) -> None:
        (self.dir / name).write_text(text, encoding="utf-8")

    def edit(self, name: str, extra: str) -> None:
        """Change a document, so that the next crawl updates its article."""
        path = self.dir / name
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")

    def article(self, name: str) -> dict[str, Any]:
        store = Store(self.db)
        row = store.article_by_url((self.dir / name).resolve().as_uri())
        store.close()
        assert row is not None, name
        return row

    def cluster(self, cluster_id: int) -> dict[str, Any] | None:
        store = Store(self.db)
        row = store.cluster(cluster_id)
        store.close()
        return row

    def excluded(self, article_id: int) -> set[int]:
        store = Store(self.db)
        found = store.excluded_clusters(article_id)
        store.close()
        return found


def near_copy(prefix: str) -> str:
    """A seed republished with one more sentence (a rewrite a copy site would make)."""
    return seed_path(prefix).read_text(encoding="utf-8") + "\n\nThis story was updated.\n"


@pytest.fixture
def story(tmp_path: Path) -> Crawl:
    """Seeds 000 (KTSM, en) and 002 (Breaking 911, fr) crawled: one story, one cluster."""
    crawl = Crawl(tmp_path, "000", "002")
    crawl.run()
    if crawl.article("000.txt")["cluster_id"] != crawl.article("002.txt")["cluster_id"]:
        pytest.fail("dedup should put seeds 000 and 002 (the same story) in one cluster")
    return crawl


def test_split_article_never_rejoins(story: Crawl) -> None:
    cluster_id = story.article("000.txt")["cluster_id"]
    french = story.article("002.txt")["id"]
    assert monitor(story.db, "split", cluster_id, french).exit_code == 0
    story.edit("002.txt", "\n\nMise à jour : l'opération Rescue Me a permis de localiser "
                          "78 mineurs.\n")
    story.add("000_copy.txt", near_copy("000"))
    story.run()
    assert story.article("002.txt")["cluster_id"] != cluster_id
    assert story.excluded(french) == {cluster_id}
    assert story.article("000_copy.txt")["cluster_id"] == cluster_id


def test_confirmed_cluster_keeps_members_and_takes_new_ones(story: Crawl) -> None:
    cluster_id = story.article("000.txt")["cluster_id"]
    assert monitor(story.db, "confirm", cluster_id).exit_code == 0
    story.edit("002.txt", "\n\nMise à jour.\n")
    story.add("000_copy.txt", near_copy("000"))
    story.run()
    assert {story.article(n)["cluster_id"] for n in ("000.txt", "002.txt", "000_copy.txt")} == {
        cluster_id}
    cluster = story.cluster(cluster_id)
    assert cluster is not None and cluster["status"] == "confirmed" and cluster["size"] == 3


def test_chosen_representative_stays(story: Crawl) -> None:
    cluster_id = story.article("000.txt")["cluster_id"]
    french = story.article("002.txt")["id"]
    assert monitor(story.db, "representative", cluster_id, french).exit_code == 0
    story.edit("000.txt", "\n\nUpdate: two minors remain outstanding.\n")
    story.run()
    assert story.cluster(cluster_id)["representative_id"] == french  # type: ignore[index]
    assert monitor(story.db, "confirm", cluster_id).exit_code == 0
    story.add("000_copy.txt", near_copy("000"))
    story.run()
    cluster = story.cluster(cluster_id)
    assert cluster is not None and cluster["representative_id"] == french
    assert cluster["size"] == 3


def test_merged_clusters_stay_merged(tmp_path: Path) -> None:
    crawl = Crawl(tmp_path, "001", "003")  # Operation Lost Souls (TX) and Upstate New York
    crawl.run()
    lost_souls, new_york = crawl.article("001.txt"), crawl.article("003.txt")
    assert lost_souls["cluster_id"] != new_york["cluster_id"]
    assert monitor(crawl.db, "merge", lost_souls["cluster_id"],
                   new_york["cluster_id"]).exit_code == 0
    crawl.edit("003.txt", "\n\nThis story was updated.\n")
    crawl.add("003_copy.txt", near_copy("003"))
    crawl.run()
    assert crawl.article("003.txt")["cluster_id"] == lost_souls["cluster_id"]
    assert crawl.article("003_copy.txt")["cluster_id"] == lost_souls["cluster_id"]
    assert crawl.cluster(new_york["cluster_id"]) is None
    assert crawl.cluster(lost_souls["cluster_id"])["size"] == 3  # type: ignore[index]
