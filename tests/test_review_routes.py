"""The review pages of the Datasette plugin, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from datasette.app import Datasette
from fixtures.review.stores import build_review_store

from monitor.review import highlight
from monitor.store import Store


def call(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on its own loop (pytest-twisted's reactor owns this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Client:
    """Datasette's test client, synchronously, with an optional signed-in actor."""

    def __init__(self, db: Path, actor: str | None = None) -> None:
        self.ds = Datasette([str(db)])
        self.cookies = {"ds_actor": self.ds.sign({"a": {"id": actor}}, "actor")} if actor else {}

    def get(self, path: str) -> httpx.Response:
        return self.keep(call(self.ds.client.get(path, cookies=self.cookies)))

    def keep(self, response: httpx.Response) -> httpx.Response:
        """Keep the cookies a response sets (CSRF token, flash messages), as a browser does."""
        self.cookies.update(response.cookies)
        return response

    def csrftoken(self, path: str) -> str:
        """Load a page as a browser would, keeping the CSRF cookie; return its form token."""
        response = self.get(path)
        found = re.search(r'name="csrftoken" value="([^"]+)"', response.text)
        assert found, "the page has no CSRF token in its forms"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        return self.keep(call(self.ds.client.post(path, data=data, cookies=self.cookies)))


@pytest.fixture
def store_ids(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """The review fixture store under a name that is not monitor.db, with 25 filler stories."""
    db = tmp_path / "news-2026.db"
    return db, build_review_store(db, singletons=25)


def review_log(db: Path) -> list[dict[str, Any]]:
    """The review_log rows."""
    store = Store(db)
    rows = list(store.db["review_log"].rows)
    store.close()
    return rows


def members(db: Path, cluster_id: int) -> list[int]:
    """The article ids in a cluster."""
    store = Store(db)
    ids = [m["id"] for m in store.cluster_members(cluster_id)]
    store.close()
    return ids


def test_queue_lists_multilingual_story_first(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    html = Client(db).get("/-/clusters").text
    rows = re.findall(r'<tr>\s*<td><a href="/-/clusters/(\d+)">', html)
    # The en/fr story (2 articles, 2 languages, a 0.80 story match) comes before the English
    # copy pair, which comes before the lone stories.
    assert rows[:2] == [str(ids["story"]), str(ids["hostile_cluster"])]
    assert "2 languages" in html and "borderline score 0.80" in html
    assert "28 clusters" in html and "page 1 of 2" in html


def test_queue_filters_and_pages(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db)
    french = client.get("/-/clusters?language=fr").text
    assert re.findall(r'<tr>\s*<td><a href="/-/clusters/(\d+)">', french) == [str(ids["story"])]
    june = client.get("/-/clusters?since=2021-06-01&until=2021-06-30").text
    assert "Lost Souls" in june and "1 cluster." in june
    assert "0 clusters" in client.get("/-/clusters?status=confirmed").text
    page2 = client.get("/-/clusters?page=2").text
    assert 'rel="prev"' in page2 and 'rel="next"' not in page2
    assert len(re.findall(r'<tr>\s*<td><a href="/-/clusters/', page2)) == 8  # 28 - 20


def test_cluster_page_side_by_side_with_evidence_and_facts(
        store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    html = Client(db).get(f"/-/clusters/{ids['story']}").text
    assert f'id="member-{ids["ktsm"]}"' in html and f'id="member-{ids["b911"]}"' in html
    assert "ktsm.com" in html and "breaking911.fr" in html
    assert "translation of #1 · story 0.80" in html
    # 78 is shared: highlighted in the English opening and in the French one.
    assert 'localiser <mark class="mon-shared">78</mark> mineurs' in html
    assert 'location of <mark class="mon-shared">78</mark> missing minors' in html
    assert '<mark class="mon-shared">Dona Ana</mark> County' in html
    assert "children_recovered" in html and "Three minors recovered" in html
    assert "Sign in to review" in html and "/confirm" not in html


def test_article_html_is_shown_as_text(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    for path in (f"/-/clusters/{ids['hostile_cluster']}", "/-/clusters"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<script>document.title" not in html
        assert "<img src=x" not in html and '<a href="javascript:' not in html
        assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    html = client.get(f"/-/clusters/{ids['hostile_cluster']}").text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert '<mark class="mon-shared">Police &lt;b&gt;rescue&lt;/b&gt;</mark>' in html


def test_anonymous_post_is_forbidden(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    response = Client(db).post(f"/-/clusters/{ids['story']}/confirm", {})
    assert response.status_code == 403
    assert review_log(db) == []


def test_post_without_csrf_token_is_refused(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    client.csrftoken(f"/-/clusters/{ids['story']}")
    response = client.post(f"/-/clusters/{ids['story']}/confirm", {})
    assert response.status_code == 403
    assert review_log(db) == []


def test_confirm_records_actor(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    token = client.csrftoken(f"/-/clusters/{ids['story']}")
    response = client.post(f"/-/clusters/{ids['story']}/confirm", {"csrftoken": token})
    assert response.status_code == 302
    assert response.headers["location"] == f"/-/clusters/{ids['story']}"
    (row,) = review_log(db)
    assert (row["actor"], row["action"], row["cluster_id"]) == ("root", "confirm", ids["story"])
    assert json.loads(row["before"])["status"] == "auto"
    assert json.loads(row["after"])["status"] == "confirmed"
    html = client.get(f"/-/clusters/{ids['story']}").text
    assert 'id="mon-status">confirmed' in html and "Confirmed cluster" in html


def test_split_merge_and_representative(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="alice")
    page = f"/-/clusters/{ids['story']}"
    token = client.csrftoken(page)
    client.post(f"{page}/split", {"csrftoken": token, "article_id": ids["b911"]})
    assert members(db, ids["story"]) == [ids["ktsm"]]
    (split,) = review_log(db)
    new_id = json.loads(split["after"])["new_cluster_id"]
    assert members(db, new_id) == [ids["b911"]]
    assert f"Split out of cluster {ids['story']}" in client.get(f"/-/clusters/{new_id}").text

    client.post(f"{page}/merge", {"csrftoken": token, "other_id": new_id})
    assert members(db, ids["story"]) == [ids["ktsm"], ids["b911"]]
    assert client.get(f"/-/clusters/{new_id}").status_code == 404

    client.post(f"{page}/representative", {"csrftoken": token, "article_id": ids["b911"]})
    html = client.get(page).text
    assert re.search(rf'mon-rep" id="member-{ids["b911"]}"', html)
    assert [r["action"] for r in review_log(db)] == ["split", "merge", "representative"]
    assert {r["actor"] for r in review_log(db)} == {"alice"}


def test_user_errors_are_messages_not_crashes(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    token = client.csrftoken(f"/-/clusters/{ids['lone_cluster']}")
    response = client.post(f"/-/clusters/{ids['lone_cluster']}/split",
                           {"csrftoken": token, "article_id": ids["lone"]})
    assert response.status_code == 302
    html = client.get(f"/-/clusters/{ids['lone_cluster']}").text
    assert "is the only member of cluster" in html
    client.post(f"/-/clusters/{ids['lone_cluster']}/merge", {"csrftoken": token, "other_id": 9999})
    assert "unknown cluster 9999" in client.get(f"/-/clusters/{ids['lone_cluster']}").text
    assert review_log(db) == []
    assert client.get("/-/clusters/9999").status_code == 404


def test_dashboard_and_offline_chart_script(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, _ = store_ids
    client = Client(db)
    html = client.get("/-/clusters/dashboard").text
    assert '<script src="/-/clusters/static/charts.js"' in html
    # Offline: every script and stylesheet comes from this server, none from a CDN.
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/") for url in assets), assets
    script = client.get("/-/clusters/static/charts.js")
    assert script.status_code == 200 and "createElementNS" in script.text
    assert script.headers["content-type"].startswith("text/javascript")
    data = client.get("/-/clusters/dashboard.json").json()
    # Operation reports: the 000/002 story (week of Monday 2021-07-19, representative in
    # English), the Safe Harbor pair (week of 2021-08-02) and Lost Souls (es, 2021-06-14).
    # Seven weeks from the first story to the last: bars are weeks.
    assert data["bin"] == "week"
    weekly = dict(zip(data["stories"]["labels"], data["stories"]["series"]["en"], strict=True))
    assert weekly["2021-07-19"] == 1 and weekly["2021-08-02"] == 1
    assert data["stories"]["series"]["es"][0] == 1
    # "78 missing minors": 78 children of one story in July 2021, though two articles report
    # it; children are never binned finer than months.
    assert data["children_bin"] == "month"
    assert data["children"] == {"labels": ["2021-07"], "series": {"children": [78]}}


def test_no_monitor_store_attached(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    Store(other).db.execute("drop table clusters")
    assert Client(other).get("/-/clusters").status_code == 404


@pytest.mark.parametrize("text, terms, marked", [
    ("localiser 78 mineurs", ["78"], ["78"]),
    ("B911 called 911.", ["911"], ["911"]),
    ("1,200 kids and 200 more", ["200"], ["200"]),
    ("the Rescue Me operation", ["rescue me"], ["Rescue Me"]),
    ("Ana and Anaheim", ["Ana"], ["Ana"]),
    ("no shared terms", [], []),
])
def test_highlight_marks_whole_numbers_and_names(text: str, terms: list[str],
                                                 marked: list[str]) -> None:
    pieces = highlight(text, terms)
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, shared in pieces if shared] == marked
