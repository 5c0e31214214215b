"""The article's own date (with time and offset) and byline, from small invented pages."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from monitor.items import Article
from monitor.stations.dedup import day_number
from monitor.stations.extraction import extract, parse_published

URL = "https://news.example.org/2024/01/police-locate-children"
STORY = "".join(
    f"<p>Paragraph {n}: officers located missing children in the county during an operation "
    f"that lasted several weeks, the sheriff's office said on Tuesday.</p>" for n in range(4))


def page(head: str = "", byline: str = "", url: str = URL) -> Article:
    """An Article of an HTML page with `head` metadata and an optional byline above the story."""
    body = (f"<html><head><title>Police locate children</title>{head}</head><body><article>"
            f"<h1>Police locate children</h1>{byline}{STORY}</article></body></html>")
    return extract(Article(url=url, source="t", body=body))


def ld(*objects: dict[str, Any]) -> str:
    """JSON-LD scripts, one per object."""
    return "".join(f'<script type="application/ld+json">{json.dumps(o)}</script>'
                   for o in objects)


def meta(key: str, value: str, attr: str = "property") -> str:
    return f'<meta {attr}="{key}" content="{value}">'


def test_json_ld_article_gives_time_and_offset() -> None:
    article = page(ld({"@type": "NewsArticle", "datePublished": "2024-01-30T14:05:00+01:00"}))
    assert (article.published, article.date_source) == ("2024-01-30T14:05:00+01:00",
                                                        "html_metadata")


def test_embedded_image_date_is_not_the_article_date() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2024-01-30T14:05:00+01:00",
               "image": {"@type": "ImageObject", "datePublished": "2019-02-05T10:00:00Z"}})
    assert page(head).published == "2024-01-30T14:05:00+01:00"


def test_related_teaser_is_not_the_article() -> None:
    teaser = {"@type": "NewsArticle", "datePublished": "2023-05-01T08:00:00+02:00",
              "mainEntityOfPage": "https://news.example.org/2023/05/older-story"}
    own = {"@type": "ReportageNewsArticle", "datePublished": "2024-01-30T14:05:00+01:00",
           "mainEntityOfPage": {"@id": URL}}
    listing = {"@type": "ItemList", "itemListElement": [
        {"@type": "NewsArticle", "datePublished": "2022-01-01T00:00:00Z"}]}
    assert page(ld(listing, teaser, own)).published == "2024-01-30T14:05:00+01:00"


def test_article_type_in_graph_before_webpage() -> None:
    graph = {"@graph": [{"@type": "WebPage", "datePublished": "2020-01-01T00:00:00Z"},
                        {"@type": "BlogPosting", "datePublished": "2024-01-30T09:30:00-05:00"}]}
    assert page(ld(graph)).published == "2024-01-30T09:30:00-05:00"


def test_published_time_meta_without_json_ld() -> None:
    article = page(meta("article:published_time", "2024-01-30T13:05:00Z"))
    assert (article.published, article.date_source) == ("2024-01-30T13:05:00+00:00",
                                                        "html_metadata")


def test_a_date_alone_stays_a_date() -> None:
    assert page(ld({"@type": "Article", "datePublished": "2024-01-30"})).published == "2024-01-30"


def test_offset_taken_from_meta_of_the_same_minute() -> None:
    head = ld({"@type": "NewsArticle", "datePublished": "2024-01-30 14:05:00.0"}) + meta(
        "date", "2024-01-30T14:05:00+01:00", attr="name")
    assert page(head).published == "2024-01-30T14:05:00+01:00"


@pytest.mark.parametrize(("value", "stored"), [
    ("2024-01-30T14:05:00.000+0100", "2024-01-30T14:05:00+01:00"),
    ("2024-04-30 16:17:29 +02:00", "2024-04-30T16:17:29+02:00"),
    ("2024-01-30T14:05+0100", "2024-01-30T14:05:00+01:00"),
    ("2024-01-30T14:05:00", "2024-01-30T14:05:00"),
    ("1750680000000", None),
    ("2024-02-30", None),
    ("2999-01-01T00:00:00Z", None),
])
def test_parse_published(value: str, stored: str | None) -> None:
    assert parse_published(value) == stored


def test_datetime_is_read_as_its_day_downstream() -> None:
    assert day_number("2024-01-30T23:05:00-05:00") == date(2024, 1, 30).toordinal()


def test_person_before_organisation() -> None:
    head = ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "dpa"}}) \
        + meta("author", "Jane Reporter", attr="name")
    assert page(head).author == "Jane Reporter"


def test_organisation_when_no_person_is_named() -> None:
    head = ld({"@type": "NewsArticle", "author": [{"@type": "Organization", "name": "dpa"}],
               "publisher": {"@type": "Organization", "name": "Example Zeitung"}}) \
        + meta("author", "Example Zeitung", attr="name")
    assert page(head).author == "dpa"


def test_publisher_name_is_never_the_author() -> None:
    head = ld({"@type": "NewsArticle",
               "author": {"@type": "Organization", "name": "n-tv NACHRICHTEN"},
               "publisher": {"@type": "Organization", "name": "n-tv NACHRICHTEN"}}) \
        + meta("og:site_name", "n-tv.de") + meta("author", "n-tv NACHRICHTEN", attr="name")
    byline = '<span class="article__author">Von Seb Dumitru</span>'
    assert page(head, byline, url="https://www.n-tv.de/politik/x.html").author == "Seb Dumitru"


def test_only_the_publisher_named_gives_no_author() -> None:
    head = ld({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "DW"},
               "publisher": {"@type": "Organization", "name": "Deutsche Welle"}}) \
        + meta("og:site_name", "DW")
    assert page(head, url="https://www.dw.com/en/x/a-1").author is None


def test_last_first_byline_kept_whole() -> None:
    assert page(meta("dc.creator", "Brazil, Rachel", attr="name")).author == "Brazil, Rachel"


def test_two_people_split_on_the_comma() -> None:
    author = page(meta("author", "Jane Doe, John Roe", attr="name")).author
    assert author == "Jane Doe; John Roe"


def test_json_ld_person_names_kept_as_written() -> None:
    head = ld({"@type": "NewsArticle", "author": [
        {"@type": "Person", "name": "Miguel A. Herguedas"},
        {"@type": "Person", "name": "María R. Sahuquillo"}]})
    assert page(head).author == "Miguel A. Herguedas; María R. Sahuquillo"


def test_json_ld_author_reference_resolved_in_graph() -> None:
    graph = {"@graph": [
        {"@type": "Article", "author": {"@id": "https://e.org/#/person/1"}},
        {"@type": "Person", "@id": "https://e.org/#/person/1", "name": "Mohloai Mpesi"}]}
    assert page(ld(graph)).author == "Mohloai Mpesi"


def test_byline_link_to_the_author_page() -> None:
    byline = '<p class="meta">von <a href="/autoren/name/erika-muster">Dr. Erika Muster</a></p>'
    assert page(meta("author", "News Example", attr="name"), byline,
                url="https://www.news-example.de/x.html").author == "Dr. Erika Muster"


def test_byline_links_side_by_side_are_all_authors() -> None:
    byline = ('<div>By <a href="/author/jane-doe">Jane Doe</a> and '
              '<a href="/author/john-roe">John Roe</a></div>')
    assert page(byline=byline).author == "Jane Doe; John Roe"


def test_author_links_in_menus_are_not_the_byline() -> None:
    menu = '<nav><a href="/authors/chris-columnist">Chris Columnist</a></nav>'
    assert page(byline=menu).author is None


def test_author_link_that_is_not_a_name_is_ignored() -> None:
    assert page(byline='<p><a href="/authors/guide">Guide to authors</a></p>').author is None
