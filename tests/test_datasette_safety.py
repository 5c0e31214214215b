"""The review plugin under hostile requests: permissions, malformed ids, multipart, read-only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import read_only
from datasette.app import Datasette
from fixtures.review.stores import build_review_store
from test_review_routes import Client, call, review_log

from monitor.store import Store

HUGE = "9" * 30
VERY_HUGE = "9" * 5000  # beyond Python's int() digit limit


@pytest.fixture
def store_ids(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """The review fixture store."""
    db = tmp_path / "review.db"
    return db, build_review_store(db)


class ConfiguredClient(Client):
    """A client of a Datasette whose metadata configures the monitor plugin."""

    def __init__(self, db: Path, actor: str | None, config: dict[str, Any]) -> None:
        super().__init__(db, actor)
        self.ds = Datasette([str(db)], metadata={"plugins": {"monitor": config}})
        self.cookies = {"ds_actor": self.ds.sign({"a": {"id": actor}}, "actor")} if actor else {}


def confirm(client: Client, cluster_id: int) -> Any:
    """Post a confirm of the cluster with the page's CSRF token."""
    token = client.csrftoken(f"/-/clusters/{cluster_id}")
    return client.post(f"/-/clusters/{cluster_id}/confirm", {"csrftoken": token})


# ----- permission -----


def test_named_reviewer_may_review(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = ConfiguredClient(db, "alice", {"reviewers": ["alice"]})
    assert confirm(client, ids["story"]).status_code == 302
    assert [r["actor"] for r in review_log(db)] == ["alice"]


def test_other_actor_is_refused_with_their_name(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = ConfiguredClient(db, "mallory", {"reviewers": ["alice"]})
    page = client.get(f"/-/clusters/{ids['story']}").text
    assert "signed in as mallory but not allowed to review" in page and "/confirm" not in page
    client.cookies["ds_csrftoken"] = client.ds.sign("tok", "csrftoken")
    response = client.post(f"/-/clusters/{ids['story']}/confirm", {"csrftoken": client.ds.sign(
        "tok", "csrftoken")})
    assert response.status_code == 403
    assert "signed in as mallory but not allowed to review" in response.text
    assert "needs a signed-in actor" not in response.text
    assert review_log(db) == []


def test_anonymous_is_told_to_sign_in(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    response = Client(db).post(f"/-/clusters/{ids['story']}/confirm", {})
    assert response.status_code == 403


def test_any_signed_in_actor_without_a_list(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    assert confirm(ConfiguredClient(db, "bob", {}), ids["story"]).status_code == 302
    assert [r["actor"] for r in review_log(db)] == ["bob"]


def test_permission_hook_answers() -> None:
    ds = Datasette([], metadata={"plugins": {"monitor": {"reviewers": ["alice"]}}})
    allowed = lambda actor: call(ds.permission_allowed(actor, "monitor-review", default=True))  # noqa: E731
    assert allowed({"id": "alice"}) is True
    assert allowed({"id": "bob"}) is False
    assert allowed(None) is False


# ----- malformed ids and filters -----


@pytest.mark.parametrize("query", [
    f"min_size={HUGE}", f"min_size={VERY_HUGE}", "min_size=abc", "min_size=-1",
    f"page={HUGE}", "page=x", "since=yesterday", "until=2021-13-40", "status=nope",
])
def test_bad_filters_are_400(store_ids: tuple[Path, dict[str, int]], query: str) -> None:
    response = Client(store_ids[0]).get(f"/-/clusters?{query}")
    assert response.status_code == 400, response.text[:500]
    assert "give a" in response.text or "one of" in response.text


def test_good_filters_still_work(store_ids: tuple[Path, dict[str, int]]) -> None:
    response = Client(store_ids[0]).get("/-/clusters?min_size=2&since=2021-07-01&page=1")
    assert response.status_code == 200 and "mon-queue" in response.text


@pytest.mark.parametrize("cluster", [HUGE, VERY_HUGE, "0", str(2**63)])
def test_bad_cluster_paths_are_404(store_ids: tuple[Path, dict[str, int]], cluster: str) -> None:
    client = Client(store_ids[0], actor="root")
    assert client.get(f"/-/clusters/{cluster}").status_code == 404
    token = client.csrftoken(f"/-/clusters/{store_ids[1]['story']}")
    assert client.post(f"/-/clusters/{cluster}/confirm", {"csrftoken": token}).status_code == 404


def test_non_numeric_path_is_404(store_ids: tuple[Path, dict[str, int]]) -> None:
    assert Client(store_ids[0]).get("/-/clusters/abc").status_code == 404


@pytest.mark.parametrize("action, field, value", [
    ("merge", "other_id", HUGE), ("merge", "other_id", VERY_HUGE), ("merge", "other_id", "x1"),
    ("split", "article_id", HUGE), ("representative", "article_id", "-3"),
])
def test_bad_post_ids_are_400(store_ids: tuple[Path, dict[str, int]], action: str, field: str,
                              value: str) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    token = client.csrftoken(f"/-/clusters/{ids['story']}")
    response = client.post(f"/-/clusters/{ids['story']}/{action}",
                           {"csrftoken": token, field: value})
    assert response.status_code == 400
    assert f"{field}: give a whole number" in response.text
    assert review_log(db) == []


def test_multipart_post_is_415(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    client = Client(db, actor="root")
    token = client.csrftoken(f"/-/clusters/{ids['story']}")
    response = call(client.ds.client.post(f"/-/clusters/{ids['story']}/confirm",
                                          files={"csrftoken": (None, token)},
                                          cookies=client.cookies))
    assert response.status_code == 415 and "Multipart" in response.text
    assert review_log(db) == []


# ----- control characters -----


def test_review_pages_strip_control_characters(store_ids: tuple[Path, dict[str, int]]) -> None:
    db, ids = store_ids
    store = Store(db)
    store.db.execute("update articles set title = ?, text = text || ? where id = ?",
                     ["Title\x1b[31m red\x1b]0;pwn\x07", "\x1b[2J tail", ids["ktsm"]])
    store.db.execute("update clusters set title = ? where id = ?",
                     ["Cluster\x1b[31m", ids["story"]])
    store.db.conn.commit()
    store.close()
    client = Client(db)
    for page in (f"/-/clusters/{ids['story']}", "/-/clusters"):
        html = client.get(page).text
        assert "\x1b" not in html and "\x07" not in html
    assert "Title[31m red]0;pwn" in client.get(f"/-/clusters/{ids['story']}").text


# ----- read-only store -----


def test_startup_survives_a_store_it_cannot_write(
        store_ids: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch) -> None:
    db, ids = store_ids

    original = Store.from_connection

    def readonly(conn: sqlite3.Connection, migrate: bool = True) -> Store:
        if migrate:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return original(conn, migrate=False)

    monkeypatch.setattr(Store, "from_connection", readonly)
    client = Client(db, actor="root")
    html = client.get(f"/-/clusters/{ids['story']}").text
    assert 'id="mon-read-only"' in html and "/confirm" not in html
    monkeypatch.undo()
    assert client.get("/-/clusters").status_code == 200


@pytest.fixture
def immutable_store(store_ids: tuple[Path, dict[str, int]]) -> Iterator[tuple[Path, int]]:
    """The review store, migrated, then read-only for the test."""
    db, ids = store_ids
    Store(db).close()
    with read_only(db):
        yield db, ids["story"]


def test_read_only_file_is_served_read_only(immutable_store: tuple[Path, int]) -> None:
    db, story = immutable_store
    client = Client(db, actor="root")
    assert client.get("/-/clusters").status_code == 200
    html = client.get(f"/-/clusters/{story}").text
    assert 'id="mon-read-only"' in html and "/confirm" not in html


def test_read_only_file_refuses_decisions_with_a_message(
        immutable_store: tuple[Path, int]) -> None:
    db, story = immutable_store
    client = Client(db, actor="root")
    client.get("/-/clusters")
    client.cookies["ds_csrftoken"] = client.ds.sign("tok", "csrftoken")
    response = client.post(f"/-/clusters/{story}/confirm",
                           {"csrftoken": client.ds.sign("tok", "csrftoken")})
    assert response.status_code == 302
    assert "read-only" in client.get(f"/-/clusters/{story}").text
