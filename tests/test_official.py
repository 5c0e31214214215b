"""Official publishers are recognised by host, from monitor/stations/official.yml."""

from __future__ import annotations

import pytest

from monitor.stations.official import is_official


@pytest.mark.parametrize("url", [
    "https://www.ice.gov/news/releases/operation-rescue-me",
    "https://www.usmarshals.gov/news/press-release/x",
    "https://www.missingkids.org/gethelpnow/isyourchildmissing",
    "https://www.gob.mx/fgr/prensa/x",
    "https://www.gov.br/pf/pt-br/assuntos/noticias/x",
])
def test_official(url: str) -> None:
    assert is_official(url)


@pytest.mark.parametrize("url", [
    "https://www.ktsm.com/news/operation-rescue-me",
    "https://www.breaking911.com/fr/x",
    "file:///work/seeds/000.txt",
    "https://notgov.com/x",
    "",
    None,
])
def test_not_official(url: str | None) -> None:
    assert not is_official(url)


def test_official_report_is_the_representative(tmp_path) -> None:
    from monitor.items import Article
    from monitor.stations.dedup import Decision
    from monitor.store import Store

    store = Store(tmp_path / "monitor.db")
    tv = Article(url="https://www.ktsm.com/news/rescue-me", source="ktsm", title="TV rewrite",
                 text="x", published="2021-07-21", language="en", content_hash="a")
    first = store.save_article(tv)
    agency = Article(url="https://www.ice.gov/news/releases/rescue-me", source="ice",
                     title="Press release", text="y", published="2021-07-22", language="en",
                     content_hash="b")
    agency.dedup = Decision(cluster_id=first.cluster_id, matched_id=first.article_id,
                            method="story", score=0.9, relation="rewrite")
    second = store.save_article(agency)
    cluster = store.db["clusters"].get(first.cluster_id)
    assert cluster["representative_id"] == second.article_id
    assert cluster["title"] == "Press release" and cluster["first_published"] == "2021-07-21"
    relations = dict(store.db.execute("select url, relation from articles").fetchall())
    assert relations == {agency.url: "original", tv.url: "rewrite"}


def test_relations_follow_the_representative(tmp_path) -> None:
    from monitor.items import Article
    from monitor.stations.dedup import Decision
    from monitor.store import Store

    store = Store(tmp_path / "monitor.db")
    saved: dict[str, int] = {}

    def save(name: str, language: str, published: str, joins: str | None = None,
             method: str = "story", host: str = "news.example.com") -> None:
        article = Article(url=f"https://{host}/{name}", source="t", title=name, text=name,
                          published=published, language=language, content_hash=name)
        if joins:
            cluster = store.db["articles"].get(saved[joins])["cluster_id"]
            article.dedup = Decision(cluster_id=cluster, matched_id=saved[joins], method=method,
                                     score=0.9, relation="copy")
        saved[name] = store.save_article(article).article_id

    save("en-report", "en", "2024-05-02")
    save("fr-translation", "fr", "2024-05-03", joins="en-report")
    save("fr-copy", "fr", "2024-05-03", joins="fr-translation", method="near_copy")
    save("en-copy", "en", "2024-05-04", joins="en-report", method="exact")
    save("en-copy-of-copy", "en", "2024-05-04", joins="en-copy", method="near_copy")
    save("en-from-french", "en", "2024-05-05", joins="fr-translation", method="near_copy")
    expected = {"en-report": "original", "fr-translation": "translation", "fr-copy": "translation",
                "en-copy": "copy", "en-copy-of-copy": "copy", "en-from-french": "rewrite"}
    relations = {row["title"]: row["relation"] for row in store.db["articles"].rows}
    assert relations == expected
    # the agency's release arrives later and becomes the representative: same language, a
    # story match, so the station's report is now its rewrite; its copies follow it
    save("agency-release", "en", "2024-05-06", joins="en-report", host="www.ice.gov")
    relations = {row["title"]: row["relation"] for row in store.db["articles"].rows}
    assert relations == {**expected, "agency-release": "original", "en-report": "rewrite",
                         "en-copy": "rewrite", "en-copy-of-copy": "rewrite"}
