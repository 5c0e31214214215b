"""The extraction station on the seed documents and on small HTML pages written here."""

from __future__ import annotations

from typing import Any

import pytest
import trafilatura.core
from conftest import seed_path
from lxml.etree import tostring
from lxml.html import HtmlElement, fromstring
from trafilatura.json_metadata import normalize_json as trafilatura_normalize_json
from trafilatura.metadata import (
    JSON_MINIFY,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.utils import load_html

from monitor.items import Article
from monitor.stations.extraction import (
    ESCALATION_CONSTANT,
    ExtractionError,
    body_text,
    content_hash,
    extract,
    find_text_date,
    html_date,
    minify_json,
    normalize_json,
    opening_sentence,
    page_author,
    page_metadata,
    parse_page,
    without_recall_escalation,
)

# Read off the seed documents: the ` date ` marker, and the text's first words.
SEED_DATES = {"000": "2021-07-21", "001": "2021-06-16", "003": "2025-03-19"}
SEED_OPENINGS = {
    "000": "EL PASO, Texas (KTSM) — A multi-agency operation",
    "001": "EL PASO, TX — A multi-agency effort",
    "002": "LAS CRUCES, N.M. – Une opération multi-agences",
    "003": "In a groundbreaking operation, over 60 missing children",
    "004": "The National Center for Missing and Exploited Children New Mexico Data",
}

PARA = ("Officers from the state police and federal agents located {n} missing children during "
        "a two-week operation in the county, the agency said in a statement on Tuesday. ")
BODY = "".join(f"<p>{PARA.format(n=n) * 2}</p>" for n in (11, 12, 13, 14))
PROMO = ("<div class='promo'><p>" + "Our newsroom depends on readers like you, so please "
         "consider a subscription today and support local journalism in the region. " * 3
         + "</p></div>")
HEAD = (
    "<title>Police locate 11 missing children | Example News</title>"
    '<meta property="og:title" content="Police locate 11 missing children">'
    '<meta name="author" content="Jane Reporter">'
    '<meta property="article:published_time" content="2024-03-05T10:00:00Z">'
    '<link rel="canonical" href="https://news.example.org/2024/03/police-locate-children">'
)


def seed_article(prefix: str) -> Article:
    """A seed document as the files spider hands it over."""
    path = seed_path(prefix)
    return Article(url=path.as_uri(), source="seeds", body=path.read_text(encoding="utf-8"),
                   content_type="text")


def html_page(head: str = HEAD, marked: bool = False, body: str = BODY) -> str:
    """A news page: the story, then a subscription pitch; optionally a declared articleBody."""
    attr = ' itemprop="articleBody"' if marked else ""
    return (f"<html><head>{head}</head><body><div class='story'><h1>Police locate 11 missing "
            f"children</h1><div{attr}>{body}</div>{PROMO}</div></body></html>")


@pytest.mark.parametrize("prefix", sorted(SEED_OPENINGS))
def test_seed_text_starts_with_the_article(prefix: str) -> None:
    assert extract(seed_article(prefix)).text.startswith(SEED_OPENINGS[prefix])


@pytest.mark.parametrize("prefix", sorted(SEED_DATES))
def test_seed_date_marker(prefix: str) -> None:
    article = extract(seed_article(prefix))
    assert (article.published, article.date_source) == (SEED_DATES[prefix], "seed_marker")


def test_seed_without_marker_has_no_date_yet() -> None:
    article = extract(seed_article("002"))
    assert article.published is None and article.date_source is None


def test_seed_title_is_the_opening_sentence() -> None:
    title = extract(seed_article("003")).title
    assert title == ("In a groundbreaking operation, over 60 missing children and teens were "
                     "rescued in Upstate New York.")


def test_french_date_written_in_words() -> None:
    assert find_text_date(extract(seed_article("002")).text, ["fr"]) == "2021-07-22"


def test_html_metadata() -> None:
    article = extract(Article(url="https://mirror.example.com/x", source="t", body=html_page()))
    assert article.title == "Police locate 11 missing children"
    assert article.author == "Jane Reporter"
    assert article.canonical_url == "https://news.example.org/2024/03/police-locate-children"
    # article:published_time 2024-03-05T10:00:00Z: the time and its offset are kept
    assert (article.published, article.date_source) == ("2024-03-05T10:00:00+00:00",
                                                        "html_metadata")


def test_html_body_paragraphs() -> None:
    text = extract(Article(url="https://e.org/a", source="t", body=html_page())).text
    assert all(PARA.format(n=n).strip() in text for n in (11, 12, 13, 14))
    assert "\n\n\n" not in text


def test_declared_article_body_leaves_out_the_rest() -> None:
    plain = extract(Article(url="https://e.org/a", source="t", body=html_page())).text
    marked = extract(Article(url="https://e.org/a", source="t", body=html_page(marked=True))).text
    assert "subscription" in plain
    assert "subscription" not in marked
    assert PARA.format(n=11).strip() in marked and PARA.format(n=14).strip() in marked


def test_short_declared_body_is_ignored() -> None:
    body = "<p>Read more below.</p>"
    page = html_page(marked=True, body=body).replace("</div><div class='promo'>",
                                                     f"</div>{BODY}<div class='promo'>")
    text = extract(Article(url="https://e.org/a", source="t", body=page)).text
    assert PARA.format(n=12).strip() in text


def test_date_found_in_page_text() -> None:
    head = "<title>Police locate 11 missing children</title>"
    body = "<p>Published on March 3, 2024 by the newsroom.</p>" + BODY
    page = html_page(head=head, body=body)
    assert html_date(page) == ("2024-03-03", "html_text")


def test_page_without_date() -> None:
    page = html_page(head="<title>Police locate 11 missing children</title>")
    article = extract(Article(url="https://e.org/a", source="t", body=page))
    assert article.published is None and article.date_source is None


def test_hint_date_when_page_has_none() -> None:
    page = html_page(head="<title>Police locate 11 missing children</title>")
    article = Article(url="https://e.org/a", source="t", body=page,
                      hints={"published": "2024-02-01", "published_source": "feed"})
    assert (extract(article).published, article.date_source) == ("2024-02-01", "feed")


@pytest.mark.parametrize("body, reason", [
    ("", "empty document"),
    ("   \n ", "empty document"),
    ("\x00\x01\x02\x03" * 200, "binary content"),
    ("<html><body><p>Too short.</p></body></html>", "no article text"),
])
def test_rejected_documents(body: str, reason: str) -> None:
    with pytest.raises(ExtractionError, match=reason):
        extract(Article(url="https://e.org/a", source="t", body=body))


def test_opening_sentence_skips_abbreviations() -> None:
    text = ("Agents of the U.S. Marshals Service found four children in Ohio on Friday. "
            "They were safe.")
    assert opening_sentence(text) == ("Agents of the U.S. Marshals Service found four children "
                                      "in Ohio on Friday.")


def test_opening_sentence_shortened() -> None:
    title = opening_sentence("word " * 100)
    assert title.endswith("…") and len(title) <= 161


def test_content_hash_ignores_case_accents_and_spacing() -> None:
    assert content_hash("Opération  Rescue\nMe") == content_hash("operation rescue me")
    assert content_hash("Operation Rescue Me") != content_hash("Operation Lost Souls")


def test_page_the_fast_extractor_misses_is_read_again() -> None:
    page = ("<html><head><title>Eleven children found</title></head><body><footer>"
            + PARA.format(n=11) * 6 + "</footer></body></html>")
    text = extract(Article(url="https://e.org/a", source="t", body=page)).text
    assert text.startswith("Officers from the state police and federal agents located 11")


# A short story on a page whose menus hold ten times its text: trafilatura's balanced mode
# measures the whole page's text (html2txt) to consider re-reading it in recall mode.
MENU_PAGE = ("<html><head><title>Nine children located</title></head><body><nav><ul>"
             + "".join(f"<li><a href='/s/{i}'>Section number {i} of the county website</a></li>"
                       for i in range(120))
             + "</ul></nav><article><h1>Nine children located</h1>"
             + "".join(f"<p>{PARA.format(n=n)}</p>" for n in (9, 10, 12))
             + "</article></body></html>")


class Html2txtCalls:
    """Counts trafilatura.core's calls of html2txt."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.original = trafilatura.core.html2txt
        monkeypatch.setattr(trafilatura.core, "html2txt", self)

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        return self.original(*args, **kwargs)


def test_trafilatura_still_has_the_escalation_switch() -> None:
    """An upgrade of trafilatura that renames the constant must be noticed, not silently slower."""
    assert isinstance(getattr(trafilatura.core, ESCALATION_CONSTANT), int)


def test_fast_pass_skips_the_recall_escalation(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Html2txtCalls(monkeypatch)
    saved = getattr(trafilatura.core, ESCALATION_CONSTANT)
    text = body_text(fromstring(MENU_PAGE), "https://e.org/nine")
    assert spy.calls == 0
    assert getattr(trafilatura.core, ESCALATION_CONSTANT) == saved  # restored
    assert "located 9 missing children" in text and "Section number" not in text


def test_trafilatura_alone_measures_the_page_for_escalation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same page read by trafilatura's fast mode directly does call html2txt, and gives
    the same text as the station (what the switch saves is that call)."""
    spy = Html2txtCalls(monkeypatch)
    doc = trafilatura.bare_extraction(
        fromstring(MENU_PAGE), url="https://e.org/nine", include_comments=False,
        include_tables=True, fast=True)
    assert spy.calls == 1
    assert doc.text == body_text(fromstring(MENU_PAGE), "https://e.org/nine")


def test_escalation_switch_is_restored_after_an_error() -> None:
    saved = getattr(trafilatura.core, ESCALATION_CONSTANT)
    with pytest.raises(RuntimeError), without_recall_escalation():
        assert getattr(trafilatura.core, ESCALATION_CONSTANT) == 0
        raise RuntimeError("extraction failed")
    assert getattr(trafilatura.core, ESCALATION_CONSTANT) == saved


PAGES_TO_PARSE = {
    "news page": html_page(),
    "fragment": "<p>x</p>",
    "plain text": "plain text, not html",
    "blank": "   ",
    "self-closing html": "<html lang='en' />\n<head><title>t</title></head><body><p>a</p></body>",
    "xml declaration": '<?xml version="1.0" encoding="iso-8859-1"?><html><body><p>é</p>'
                       "</body></html>",
    "xhtml doctype": '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                     '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><body><p>x</p>'
                     "</body></html>",
    "declared charset": "<!doctype html>\n<html><head><meta charset='windows-1251'></head><body>"
                        "<p>Привет мир</p></body></html>",
    "control characters": "<html><body><p>bad \x00 nul \x0b \ufffe \uffff end</p></body></html>",
    "lone surrogate": "<html><body><p>surrogate \ud800 here</p></body></html>",
    "fragments": "<div><p>fragment only</p><p>two</p></div>",
}


@pytest.mark.parametrize("case", sorted(PAGES_TO_PARSE))
def test_parse_page_is_trafilatura_s_load_html(case: str) -> None:
    page = PAGES_TO_PARSE[case]
    ours, theirs = parse_page(page), load_html(page)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert tostring(ours) == tostring(theirs)


def test_bare_year_is_not_a_date() -> None:
    from monitor.stations.extraction import html_date
    page = ("<html><body><article><p>In 2023, the clearinghouse received 36.2 million reports."
            "</p><p>In 2023, NCMEC reviewed 9 submissions.</p></article></body></html>")
    assert html_date(page) == (None, None)


def test_written_january_first_is_kept() -> None:
    from monitor.stations.extraction import year_only_guess
    assert not year_only_guess("2024-01-01", "<p>Published January 1, 2024</p>")
    assert year_only_guess("2024-01-01", "<p>In 2024 the agency said</p>")


# Bylines in the shapes trafilatura's author expressions look for, each with the author we read
# off the markup; some sit next to a decoy that trafilatura prunes (comments, sidebars, dates).
BYLINES = {
    "rel": ('<p>Shared by <a rel="author" href="/staff/ana">Ana Ruiz</a></p>', "Ana Ruiz"),
    "author tag": ("<author>Luis Ortega</author>", "Luis Ortega"),
    "class name": ('<span class="c-authorName">Marie Dubois</span>', "Marie Dubois"),
    "byline": ('<div class="byline">Tom Baker</div>', "Tom Baker"),
    "itemprop": ('<h4 itemprop="author">Greta Vogel</h4>', "Greta Vogel"),
    "last resort": ('<em class="writer">Paolo Conti</em>', "Paolo Conti"),
    "comments first": ('<div id="comments"><span class="author">Troll Account</span></div>'
                       '<span class="author">Nadia Haddad</span>', "Nadia Haddad"),
    "sidebar first": ('<div class="widget sidebar"><p class="author">Other Writer</p></div>'
                      '<p class="author-name">Kim Lee</p>', "Kim Lee"),
    "specific beats generic": ('<div class="byline">Desk Editor</div>'
                               '<span class="author">Rosa Parra</span>', "Rosa Parra"),
    "pruned date inside": ('<p class="author">Jan Novak <time>12 May 2024</time></p>', "Jan Novak"),
    "pruned parts glue the text": ('<p class="author">Jan<time>12 May</time>Novak<span '
                                   'class="date">x</span>ova <figure>f</figure>Ruiz</p>',
                                   "JanNovakova Ruiz"),
    "pruned first child": ('<span class="byline"><span class="print">P</span>Ana Ruiz</span>',
                           "Ana Ruiz"),
    "nested pruned": ('<div class="author">Eva<div class="sidebar">s<time>t</time>u</div>Lind'
                      '<!-- c --></div>', "EvaLind"),
    "candidate pruned itself": ('<span class="author print">Ann Printer</span>'
                                '<p class="author">Bo Diddley</p>', "Bo Diddley"),
    "later rank wins": ('<div class="byline">Desk Editor</div><a rel="author">Li Wei</a>',
                        "Li Wei"),
    "too long first": (f'<span class="author">{"x" * 130}</span><div class="byline">Al Ray</div>',
                       "Al Ray"),
    "last resort, any tag": ('<ul><li class="meta-writer">Olga Petrova</li></ul>', "Olga Petrova"),
    "last resort order": ('<em itemprop="author">Ivo Kos</em><li class="screenname">@ivo</li>',
                          "Ivo Kos"),
    "byline component": ('<section data-component="Byline">Sam Hill</section>', "Sam Hill"),
    "author card": ('<div data-testid="AuthorCard">Kai Berg</div>', "Kai Berg"),
    "author id in sidebar": ('<aside><div class="sidebar"><p id="author">No One</p></div></aside>'
                             '<h4 class="username">Mo Salah</h4>', "Mo Salah"),
    "none": ("<p>No byline on this page.</p>", None),
}


@pytest.mark.parametrize("case", sorted(BYLINES))
def test_page_author_reads_bylines(case: str) -> None:
    markup, expected = BYLINES[case]
    tree = fromstring(f"<html><body>{markup}<p>{PARA.format(n=5)}</p></body></html>")
    assert page_author(tree) == expected


@pytest.mark.parametrize("case", sorted(BYLINES))
def test_page_author_agrees_with_trafilatura(case: str) -> None:
    tree = fromstring(f"<html><body>{BYLINES[case][0]}<p>{PARA.format(n=5)}</p></body></html>")
    assert page_author(tree) == extract_author(tree)


def metadata_as_trafilatura(tree: HtmlElement, url: str | None) -> tuple[str | None, ...]:
    """page_metadata's figures computed with trafilatura's own functions only."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.clean_and_trim()
    return meta.title, meta.author, meta.url, meta.description, meta.sitename


LD_JSON = ('<script type="application/ld+json">{"@context": "https://schema.org",\n '
           '"@type" : "NewsArticle", "headline": '
           '"Eleven \\"missing\\" children\\u00e9 \\ud83d\\ude00 found", "author": '
           '{"@type": "Person", "name": "Ana  Ruiz"}, "url" : "https://n.example/a b"}</script>')
HEADS = {
    "plain": HEAD,
    "json-ld": "<title>T</title>" + LD_JSON,
    "broken json-ld": '<script type="application/ld+json">{"headline": "Broken", "author": '
                      '{"name": "Eve Ng"</script>',
    "no canonical": '<title>Short title | Site</title><link rel="stylesheet" href="/s.css">',
    "relative canonical": '<meta property="og:site_name" content="N"><link rel="canonical" '
                          'href="/2024/03/story"><meta name="twitter:site" content="https://n.org/x">',
    "base only": '<base href="https://base.example/news/">',
    "x-default": '<link rel="alternate" hreflang="x-default" href="https://n.example/intl">',
}


@pytest.mark.parametrize("case", sorted(HEADS))
def test_page_metadata_agrees_with_trafilatura(case: str) -> None:
    page = html_page(head=HEADS[case]) + LD_JSON.replace("NewsArticle", "WebPage")
    meta = page_metadata(fromstring(page), "https://mirror.example/x")
    expected = metadata_as_trafilatura(fromstring(page), "https://mirror.example/x")
    assert (meta.title, meta.author, meta.url, meta.description, meta.sitename) == expected


JSON_TEXTS = ['{ "a" : "b c" ,\n "d":\t[1, 2] }', '{"q": "say \\"hi\\" there", "n": 1 }',
              '{"bad": "unterminated \\\n still }', ' "x\\\ny" z ', '"\\" a "b c"',
              '{"e": "\\u00e9\\ud83d\\ude00\\n<b>bold</b> &amp; more"}', "\u00a0{ }\u2003"]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_json_clean_ups_agree_with_trafilatura(text: str) -> None:
    assert minify_json(text) == JSON_MINIFY.sub(r"\1", text)
    assert normalize_json(text) == trafilatura_normalize_json(text)
