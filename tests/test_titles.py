"""Titles: the article's headline without site or section names, one small page per rule."""

from __future__ import annotations

import json

import pytest

from monitor.items import Article
from monitor.stations.extraction import extract

BODY = "<p>" + "Officers located the missing children after a week-long search. " * 5 + "</p>"


def page(head: str = "", body: str = "", ld: dict[str, object] | None = None) -> str:
    """A small article page: `head` elements, optional JSON-LD, `body` then the article text."""
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    return (f"<html><head>{head}{script}</head><body>{body}"
            f"<article>{BODY}</article></body></html>")


def title_of(html: str, url: str = "https://www.example-news.com/2024/story") -> str | None:
    """The station's title of one page."""
    return extract(Article(url=url, source="test", body=html)).title


def test_site_name_after_a_bar_is_dropped() -> None:
    html = page('<title>Children found safe in Ohio | Example Herald</title>'
                '<meta property="og:site_name" content="Example Herald">')
    assert title_of(html) == "Children found safe in Ohio"


def test_host_name_after_a_dash_is_dropped() -> None:
    html = page("<title>Children found safe in Ohio - Example News</title>")
    assert title_of(html) == "Children found safe in Ohio"


def test_json_ld_publisher_before_the_headline_is_dropped() -> None:
    ld = {"@type": "WebPage", "publisher": {"@type": "Organization", "name": "Gazette Online"}}
    html = page("<title>Gazette Online · Children found safe in Ohio</title>", ld=ld)
    assert title_of(html) == "Children found safe in Ohio"


def test_site_name_and_date_after_dashes_are_dropped() -> None:
    html = page("<title>Children found safe in Ohio – DW – 30.01.2024</title>")
    assert title_of(html, "https://www.dw.com/en/story/a-1") == "Children found safe in Ohio"


def test_site_name_after_a_full_width_colon_is_dropped() -> None:
    html = page("<title>行方不明の子ども保護：朝日新聞デジタル</title>"
                '<meta property="og:site_name" content="朝日新聞デジタル">')
    assert title_of(html, "https://www.asahi.com/articles/x.html") == "行方不明の子ども保護"


def test_section_that_title_adds_to_the_json_ld_headline_is_dropped() -> None:
    ld = {"@type": "NewsArticle", "headline": "Children found safe in Ohio"}
    html = page('<title>Children found safe in Ohio - National | Globalnews.ca</title>'
                '<meta property="og:title" content="Children found safe in Ohio - National">',
                ld=ld)
    assert title_of(html, "https://globalnews.ca/news/1/") == "Children found safe in Ohio"


def test_kicker_that_og_title_adds_to_the_article_h1_is_dropped() -> None:
    html = page('<meta property="og:title" content="Ohio | Children found safe in Ohio">',
                body="<h1>Example News</h1><article><h1>Children found safe in Ohio</h1></article>")
    assert title_of(html) == "Children found safe in Ohio"


def test_colon_kicker_of_the_headline_is_kept() -> None:
    html = page('<meta property="og:title" content="Operation Safe Home: Children found in Ohio">',
                body="<article><h1>Children found in Ohio</h1></article>")
    assert title_of(html) == "Operation Safe Home: Children found in Ohio"


def test_og_title_is_the_headline_when_it_names_the_article() -> None:
    ld = {"@type": "NewsArticle", "headline": "Marshals recover 12 children in Ohio sweep"}
    html = page('<title>Marshals recover 12 children in Ohio sweep | Example News</title>'
                '<meta property="og:title" content="Twelve children recovered in Ohio">', ld=ld)
    assert title_of(html) == "Twelve children recovered in Ohio"


def test_article_markup_wins_over_a_social_title_shared_with_title() -> None:
    ld = {"@type": "NewsArticle", "headline": "Only a third of the children came to school"}
    html = page('<title>Emergency plan: a quiet but hot Monday</title>'
                '<meta property="og:title" content="Emergency plan: a quiet but hot Monday">',
                body="<article><h1>Only a third of the children came to school</h1></article>",
                ld=ld)
    assert title_of(html) == "Only a third of the children came to school"


def test_typography_most_candidates_share_is_kept() -> None:
    ld = {"@type": "NewsArticle", "headline": "Police call the rescue ‘a turning point’"}
    html = page('<meta property="og:title" content="Police call the rescue \'a turning point\'">',
                body="<article><h1>Police call the rescue ‘a turning point’</h1></article>", ld=ld)
    assert title_of(html) == "Police call the rescue ‘a turning point’"


def test_og_title_typography_on_a_tie() -> None:
    ld = {"@type": "NewsArticle", "headline": "Police call the rescue ‘a turning point’"}
    html = page('<meta property="og:title" content="Police call the rescue \'a turning point\'">',
                ld=ld)
    assert title_of(html) == "Police call the rescue 'a turning point'"


def test_form_without_added_quotation_marks_is_kept() -> None:
    ld = {"@type": "NewsArticle", "headline": "Pink hair sparks jokes… and a stylist explains"}
    html = page('<title>"Pink hair sparks jokes"… and a stylist explains</title>'
                '<meta property="og:title" content="&quot;Pink hair sparks jokes&quot;… and a '
                'stylist explains">',
                body='<article><h1>"Pink hair sparks jokes"… and a stylist explains</h1></article>',
                ld=ld)
    assert title_of(html) == "Pink hair sparks jokes… and a stylist explains"


def test_json_ld_headline_where_og_h1_and_title_show_another() -> None:
    ld = {"@type": "NewsArticle", "headline": "Live: the search for the missing children"}
    latest = "Ticker: two more children found near the river"
    html = page(f'<title>{latest} | Example News</title>'
                f'<meta property="og:title" content="{latest}">',
                body=f"<article><h1>{latest}</h1></article>", ld=ld)
    assert title_of(html) == "Live: the search for the missing children"


def test_og_title_where_json_ld_drops_only_its_kicker() -> None:
    ld = {"@type": "NewsArticle", "headline": "Children found near the river"}
    shown = "Search ends / Children found near the river"
    html = page(f'<title>{shown}</title><meta property="og:title" content="{shown}">',
                body=f"<article><h1>{shown}</h1></article>", ld=ld)
    assert title_of(html) == shown


def test_json_ld_headline_that_title_agrees_with() -> None:
    ld = {"@type": "NewsArticle", "headline": "Twelve children recovered in a week-long sweep"}
    html = page("<title>Twelve children recovered in a week-long sweep | Example News</title>"
                '<meta property="og:title" content="Marshals end Ohio operation">',
                body="<article><h1>Live updates from the Ohio operation</h1></article>", ld=ld)
    assert title_of(html) == "Twelve children recovered in a week-long sweep"


def test_og_title_that_h1_agrees_with_over_json_ld_and_title() -> None:
    ld = {"@type": "NewsArticle", "headline": "Twelve children recovered in a week-long sweep"}
    html = page("<title>Twelve children recovered in a week-long sweep | Example News</title>"
                '<meta property="og:title" content="Marshals end Ohio operation">',
                body="<article><h1>Marshals end Ohio operation</h1></article>", ld=ld)
    assert title_of(html) == "Marshals end Ohio operation"


def test_headline_shared_after_different_kickers() -> None:
    html = page('<meta property="og:title" content="Ohio sweep: «We found them all»">',
                body="<article><h1>Operation Safe Home - «We found them all»</h1></article>")
    assert title_of(html) == "«We found them all»"


def test_site_name_after_a_hangul_bar_is_dropped() -> None:
    html = page("<title>실종 아동 12명 구조ㅣ예시일보</title>"
                '<meta property="og:site_name" content="예시일보">')
    assert title_of(html, "https://www.example-ilbo.com/news/1") == "실종 아동 12명 구조"


def test_json_ld_headline_from_a_graph_with_entities() -> None:
    ld = {"@graph": [{"@type": "WebSite", "name": "Example News"},
                     {"@type": "NewsArticle", "headline": "Ohio &amp; Indiana: 12 children found"}]}
    assert title_of(page(ld=ld)) == "Ohio & Indiana: 12 children found"


@pytest.mark.parametrize("title", ["Example News", "Example News | Example News"])
def test_a_title_naming_only_the_site_keeps_one_part(title: str) -> None:
    html = page(f"<title>{title}</title>")
    assert title_of(html) == "Example News"
