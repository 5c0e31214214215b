"""The body when trafilatura's fast pass keeps only a part of the article: invented pages."""

from __future__ import annotations

import json

from lxml.html import fromstring

from monitor.items import Article
from monitor.stations.extraction import declared_text, extract, wrong_block

TEASER = ("Officers located eleven missing children in the county after a three-week "
          "operation, the sheriff's office said on Tuesday.")
REST = [f"Paragraph {n} of the full report describes how deputies and social workers traced "
        f"family {n} across two states before the children were placed in care." for n in range(12)]


def paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def test_short_extraction_of_a_page_with_much_more_paragraph_text_is_a_wrong_block() -> None:
    tree = fromstring(f"<html><body><article>{paragraphs([TEASER, *REST])}</article></body></html>")
    assert wrong_block(tree, TEASER)


def test_extraction_holding_most_of_the_paragraph_text_is_not_a_wrong_block() -> None:
    tree = fromstring(f"<html><body><article>{paragraphs([TEASER, *REST[:2]])}</article>"
                      "</body></html>")
    assert not wrong_block(tree, "\n".join([TEASER, *REST[:2]]))


def test_long_extraction_is_never_a_wrong_block() -> None:
    tree = fromstring(f"<html><body>{paragraphs(REST * 20)}</body></html>")
    assert not wrong_block(tree, "\n".join(REST * 2))


def test_declared_article_body_twice_as_long_with_new_words_replaces_the_extraction() -> None:
    full = "\n".join([TEASER, *REST])
    assert declared_text({"articleBody": full}, TEASER) == full


def test_declared_article_body_repeating_the_extraction_is_not_used() -> None:
    assert declared_text({"articleBody": " ".join([TEASER] * 3)}, TEASER) is None


def test_declared_article_body_shorter_than_the_extraction_is_not_used() -> None:
    assert declared_text({"articleBody": TEASER}, "\n".join([TEASER, *REST])) is None


def test_page_showing_a_teaser_stores_its_declared_article_body() -> None:
    ld = {"@type": "NewsArticle", "headline": "Eleven children located",
          "articleBody": "\n".join([TEASER, *REST])}
    html = ("<html><head><title>Eleven children located</title>"
            f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
            f"<body><article><h1>Eleven children located</h1><p>{TEASER}</p>"
            "<p>Subscribe to read the rest of this report and more from our newsroom.</p>"
            "</article></body></html>")
    article = extract(Article(url="https://news.example.org/a", source="t", body=html))
    assert REST[11] in article.text and article.text.startswith(TEASER)


# A page its scripts render: the markup holds an empty container, the article's HTML is a
# JSON-escaped string in the framework's state.
SCRIPTED = "".join(f"<p>{text}</p>" for text in [TEASER, *REST[:6]])


def scripted_page(state_html: str, shown: str = "") -> str:
    state = json.dumps({"article": {"id": 7, "contentHtml": state_html, "tags": ["county"]}})
    state = state.replace("<", "\\u003c").replace(">", "\\u003e")
    return ("<html><head><title>Eleven children located</title>"
            f'<script>window.__STATE__ = window.__STATE__ || []; window.__STATE__.push({state});'
            f"</script></head><body><div id='root'><h1>Eleven children located</h1>{shown}"
            "</div></body></html>")


def test_page_rendered_by_its_scripts_stores_the_article_html_of_its_state() -> None:
    article = extract(Article(url="https://news.example.org/s", source="t",
                              body=scripted_page(SCRIPTED)))
    assert article.text.startswith(TEASER) and REST[5] in article.text


def test_short_state_html_does_not_replace_the_page_text() -> None:
    shown = f"<article><p>{TEASER}</p></article>"
    article = extract(Article(url="https://news.example.org/s", source="t",
                              body=scripted_page("<p>Sign up for our newsletter.</p>", shown)),
                      min_chars=0)
    assert article.text == TEASER


def test_page_with_its_own_article_text_is_not_read_from_its_scripts() -> None:
    shown = f"<article>{paragraphs(REST[6:12])}</article>"
    article = extract(Article(url="https://news.example.org/s", source="t",
                              body=scripted_page(SCRIPTED, shown)))
    assert REST[6] in article.text and TEASER not in article.text
