"""Official publishers are recognised by host, from monitor/official.yml."""

from __future__ import annotations

import pytest

from monitor.official import is_official


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
    from monitor.dedup import Decision
    from monitor.items import Article
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
