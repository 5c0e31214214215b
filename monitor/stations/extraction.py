"""Extraction station: body text, title, author, date and canonical URL from HTML or text."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import trafilatura
import trafilatura.core
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement, fromstring
from trafilatura.json_metadata import (
    JSON_UNICODE_REPLACE,
    extract_json,
    extract_json_parse_error,
    normalize_authors,
)
from trafilatura.metadata import examine_meta, extract_title, extract_url
from trafilatura.settings import Document
from trafilatura.utils import (
    DOCTYPE_TAG,
    FAULTY_HTML,
    HTML_PARSER,
    HTML_STRIP_TAGS,
    is_dubious_html,
    load_html,
    trim,
)
from trafilatura.xml import delete_element

from monitor.items import Article
from monitor.stations.documents import strip_controls
from monitor.stations.urls import url_key

logger = logging.getLogger(__name__)

SEED_MARKER = re.compile(r"^\s*date (\d{4}-\d{2}-\d{2})\s")
# Full dates written with a day, a month (word or number) and a year, in any order.
TEXT_DATE = re.compile(
    r"\b(?:\d{1,2}(?:er|º|°|st|nd|rd|th)?\.?\s+(?:de\s+)?[^\W\d_]{3,12}\.?,?\s+(?:de\s+)?\d{4}"
    r"|[^\W\d_]{3,12}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{4}-\d{2}-\d{2})\b"
)
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\W*[A-ZÀ-Ý0-9])|\n")
TITLE_MIN_CHARS = 40
ABBREVIATION_END = re.compile(r"(?:\b(?:[A-Z]\.)+|\b[A-Z][a-z]{0,2}\.)$")
TITLE_MAX_CHARS = 160
# NUL, U+FFFD and the C0/C1 controls other than \t \n \v \f \r: signs of a binary body.
BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
WORD = re.compile(r"\w+")
HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0]+")
BLANK_LINES = re.compile(r"\n{3,}")
# schema.org microdata: the element a page itself marks as the article's body.
DECLARED_BODY = XPath('//*[@itemprop="articleBody"]')
DECLARED_BODY_MIN_CHARS = 200
# The regular expressions of trafilatura.xpaths' author XPaths (EXSLT re:test is Python's
# re.search), applied in Python by page_author.
DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
DISCARD_CLASS = re.compile("^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote"
                           "|embedly-instagram|article-(?:share|support)|print|category"
                           "|meta-date|meta-reviewer")
AUTHOR_CLASS_0 = re.compile("author-?name|AuthorName|authorName")
AUTHOR_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
AUTHOR_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by"
                            "|journalist-name")
AUTHOR_ID_2 = re.compile("[Aa]uthor")
AUTHOR_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
AUTHOR_MAX_CHARS = 120
# The tags of trafilatura's two specific author XPaths; only its last resort looks at any tag.
AUTHOR_TAGS = ("a", "address", "author", "div", "h3", "h4", "link", "p", "span", "strong")
# Every attribute value an author XPath accepts holds one of these: one search over all of an
# element's values before `author_ranks` looks at its attributes one by one.
AUTHOR_HINT = re.compile("uthor|yline|byl|BBL|writer|screenname|username|channel-name|zuozhe"
                         "|bianji|xiaobian|submitted-by|posted-by|journalist-name")
# Candidates of the last-resort author XPath, a superset `author_ranks` then narrows down: with
# few contains() on attribute nodes, libxml2 is quicker than a Python walk over every element.
LAST_RESORT_AUTHORS = XPath(
    'descendant-or-self::*[@class[contains(., "uthor") or contains(., "yline")'
    ' or contains(., "writer") or contains(., "screenname")] or @id[contains(., "uthor")]'
    ' or @itemprop[contains(., "author")] or @data-component[contains(., "Byline")]]'
)
# trafilatura.metadata.extract_meta_json's scripts, and its JSON_MINIFY split in two: string
# literals kept, whitespace between them dropped, with no Python call per match (re.sub with a
# group template makes one per token in Python 3.11).
JSON_SCRIPT_TYPES = ("application/ld+json", "application/settings+json")
JSON_STRING = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")')  # its (?:\\.|[^"\\])*, unrolled
JSON_SPACE = re.compile(r"\s+")
SURROGATES = re.compile("[\ud800-\udfff]")
# trafilatura.utils.INVALID_XML_CHARS: C0 controls but tab, newline and carriage return, in
# UTF-8 (one byte each, never inside a longer character), and U+FFFE, U+FFFF (searched in the
# decoded page: a page stored one byte a character cannot hold them, so Python answers at once).
XML_INVALID_BYTES = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20))
XML_NONCHARACTERS = ("\ufffe", "\uffff")
# A fast extraction shorter than this is retried with trafilatura's fallback extractors.
FALLBACK_BELOW_CHARS = 500
# A fast extraction shorter than this, and under a fifth of the text of the page's <p>
# elements, is retried with the fallback extractors (the longer result is kept).
WRONG_BLOCK_BELOW_CHARS = 2000
PARAGRAPH_TEXT_SHARE = 5
PARAGRAPH_TEXT = XPath("//p//text()")
# A JSON-LD articleBody at least twice the extraction's length, with more than a tenth of its
# words missing from it, replaces the extraction.
DECLARED_TEXT_RATIO = 2
DECLARED_MISSING_SHARE = 0.1
# A page rendered by its scripts: a string literal of a <script> holding paragraph markup
# (escaped or not) is the article's HTML, read when the page's own markup gives less than
# FALLBACK_BELOW_CHARS, and kept when its text is that long and twice the page's.
SCRIPT_HTML = re.compile(r"<p[\s>]|\\u003cp[\s>\\]", re.IGNORECASE)
# trafilatura.core's length under which a balanced extraction may be re-read in recall mode.
ESCALATION_CONSTANT = "ESCALATION_MAX_LENGTH"


class ExtractionError(ValueError):
    """A document that holds no usable article; the message is the reason."""


def extract(article: Article, min_chars: int = 200) -> Article:
    """Fill text, title, author, date and canonical URL of `article` from its body."""
    check_body(article.body)
    if article.content_type == "text":
        extract_text_document(article)
    else:
        extract_html_document(article)
    if len(article.text) < min_chars:
        raise ExtractionError(f"no article text ({len(article.text)} characters extracted)")
    if not article.published and article.hints.get("published"):
        article.published = article.hints["published"]
        article.date_source = article.hints.get("published_source", "hint")
    title = article.title or article.hints.get("title") or opening_sentence(article.text)
    article.title = strip_controls(title) if title else title  # after the binary-body check
    article.content_hash = content_hash(article.text)
    return article


def check_body(body: str) -> None:
    """Reject empty and binary bodies."""
    if not body or not body.strip():
        raise ExtractionError("empty document")
    sample = body[:4096]
    if len(BINARY_CHARS.findall(sample)) > max(8, len(sample) // 50):
        raise ExtractionError("binary content, not text")


def extract_text_document(article: Article) -> None:
    """A plain-text document: an optional ` date YYYY-MM-DD ` marker, then the article."""
    text = article.body
    marker = SEED_MARKER.match(text)
    if marker:
        article.published, article.date_source = marker.group(1), "seed_marker"
        text = text[marker.end():]
    article.text = normalise_paragraphs(text)
    article.canonical_url = article.url


def extract_html_document(article: Article) -> None:
    """An HTML page, parsed once: body through trafilatura, metadata and date from the tree."""
    tree = parse_page(article.body)
    if tree is None:
        raise ExtractionError("not an HTML document")
    declared = "articleBody" in article.body  # cheap test before the XPath search
    objects = json_ld_objects(tree)  # read once for the body, title, byline and date
    metas = meta_elements(tree)
    text = body_text(tree, article.url, declared)
    if declared:
        text = declared_text(main_article(objects, article.url), text) or text
    article.text = normalise_paragraphs(text)
    if not article.text:
        raise ExtractionError("no article text found in HTML")
    meta = head_metadata(tree, article.url)
    title = choose_title(title_candidates(tree, article.url, objects, metas))
    article.title = clean(title or meta.title or body_title(tree))
    article.author = clean(page_byline(tree, article.url, clean(meta.author), objects, metas))
    article.canonical_url = meta.url or article.url
    article.published, article.date_source = page_date(tree, article.canonical_url, objects,
                                                       metas)


def parse_page(html: str) -> HtmlElement | None:
    """trafilatura's `load_html` of a decoded page: the same repairs and the same tree, but
    parsed from UTF-8 bytes (cheaper for libxml2 than a Python string), and its removal of
    characters XML forbids (a regular expression over the whole page) only tested for.

    A page holding such characters, or lone surrogates, is left to `load_html` itself."""
    beginning = html[:50].lower()
    if any(char in html for char in XML_NONCHARACTERS):
        return load_html(html)
    try:
        data = _repair_start(html, beginning).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: lxml reads the string its own way
        return load_html(html)
    if len(data.translate(None, XML_INVALID_BYTES)) != len(data):
        return load_html(html)
    try:
        tree = fromstring(data, parser=HTML_PARSER)
    except Exception as exc:  # as load_html: lxml raises several kinds, all mean no tree
        logger.debug("lxml parsing failed: %s", exc)
        return None
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not HTML
    return tree


def _repair_start(html: str, beginning: str) -> str:
    """trafilatura's `repair_faulty_html` but for its removal of XML-invalid characters: a
    self-closing doctype, and a self-closing <html/> in the first lines."""
    if "doctype" in beginning:
        first_line, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return FAULTY_HTML.sub(r"\1>", html, count=1)
    return html


def body_text(tree: HtmlElement, url: str | None, look_for_declared: bool = True) -> str:
    """The article body: inside the page's declared schema.org articleBody, else the page.

    trafilatura runs in its fast mode; only a page where that finds little is read again
    with its fallback extractors (readability, jusText), which cost a third more per page.
    """
    declared = declared_body(tree) if look_for_declared else None
    if declared is not None:
        text = _trafilatura_text(declared, url, fast=True)
        if len(text) >= DECLARED_BODY_MIN_CHARS:
            return text
    text = _trafilatura_text(tree, url, fast=True)
    if len(text) < FALLBACK_BELOW_CHARS or wrong_block(tree, text):
        text = max(_trafilatura_text(tree, url, fast=False), text, key=len)
    if len(text) < FALLBACK_BELOW_CHARS:
        text = scripted_text(tree, url, text) or text
    return text


def scripted_text(tree: HtmlElement, url: str | None, text: str) -> str | None:
    """The article of a page its scripts render: the text of the longest string literal in
    its <script> elements that holds paragraph markup (a framework's state, JSON-escaped),
    when that text is at least FALLBACK_BELOW_CHARS long and twice `text`; else None."""
    page = script_html(tree)
    if page is None:
        return None
    found = _trafilatura_text(page, url, fast=True)
    if len(found) < max(FALLBACK_BELOW_CHARS, DECLARED_TEXT_RATIO * len(text)):
        return None
    return found


def script_html(tree: HtmlElement) -> HtmlElement | None:
    """A page of its own holding the longest HTML string literal of the page's scripts."""
    literals = [literal for script in tree.iter("script")
                if script.text and not script.get("src") and SCRIPT_HTML.search(script.text)
                for literal in JSON_STRING.findall(script.text) if SCRIPT_HTML.search(literal)]
    for literal in sorted(literals, key=len, reverse=True):
        try:
            value = json.loads(literal)
            fragment = fromstring(f"<div>{value}</div>")
        except (ValueError, TypeError) as exc:  # not JSON's escapes, or no markup after all
            logger.debug("script string not read: %s", exc)
            continue
        page = fromstring("<html><head></head><body></body></html>")
        page.find("body").append(fragment)
        return page
    return None


def wrong_block(tree: HtmlElement, text: str) -> bool:
    """Whether a fast extraction is a short piece of a page whose paragraphs hold much more
    (trafilatura's fast pass stopping at the first block of a body split by asides)."""
    if len(text) >= WRONG_BLOCK_BELOW_CHARS:
        return False
    return len(text) * PARAGRAPH_TEXT_SHARE < sum(map(len, PARAGRAPH_TEXT(tree)))


def declared_text(article: dict[str, Any] | None, text: str) -> str | None:
    """The JSON-LD article's own `articleBody` where the extraction is a part of it: the
    declared body is at least twice as long and holds words the extraction lacks."""
    declared = (article or {}).get("articleBody")
    if not isinstance(declared, str) or len(declared) < DECLARED_TEXT_RATIO * len(text):
        return None
    declared = unescape(declared)
    words = WORD.findall(declared.casefold())
    found = set(WORD.findall(text.casefold()))
    missing = sum(word not in found for word in words)
    return declared if missing > DECLARED_MISSING_SHARE * len(words) else None


def declared_body(tree: HtmlElement) -> HtmlElement | None:
    """A page of its own holding the one element marked `itemprop="articleBody"`, if any."""
    marked = DECLARED_BODY(tree)
    if len(marked) != 1 or len(marked[0].text_content()) < DECLARED_BODY_MIN_CHARS:
        return None
    page = fromstring("<html><head></head><body></body></html>")
    page.find("body").append(deepcopy(marked[0]))
    return page


def _trafilatura_text(tree: HtmlElement, url: str | None, fast: bool) -> str:
    """trafilatura's body text of a parsed page (no comments, tables kept, no dedup); the fast
    pass without trafilatura's recall escalation (see `without_recall_escalation`)."""
    with without_recall_escalation(fast):
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=False, include_comments=False, include_tables=True,
            deduplicate=False, favor_precision=False, fast=fast,
        )
    return (doc.text or "") if doc is not None else ""


@contextmanager
def without_recall_escalation(active: bool = True) -> Iterator[None]:
    """trafilatura (2.3) without its recall escalation while the block runs.

    In its balanced mode trafilatura measures the whole page's text (`html2txt`, ~1.3 ms a
    page, 15% of the fast pass) to decide whether a short extraction should be re-read in
    recall mode. On the 181 Zyte pages and their 724 variants that re-reading changes none of
    the station's texts, and the station has its own rescue (the full cascade below
    FALLBACK_BELOW_CHARS), so the fast pass skips it. trafilatura offers no option for this:
    its threshold, a module constant, is set to 0 for the duration and restored after.
    """
    saved = getattr(trafilatura.core, ESCALATION_CONSTANT, None)
    if not active or saved is None:  # another trafilatura version: nothing to switch off
        yield
        return
    setattr(trafilatura.core, ESCALATION_CONSTANT, 0)
    try:
        yield
    finally:
        setattr(trafilatura.core, ESCALATION_CONSTANT, saved)


def page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """Title, author and canonical URL, the way trafilatura finds them (meta, JSON-LD, page).

    The subset of `trafilatura.metadata.extract_metadata` the store needs: categories, tags,
    licence and site name are skipped, and the date is left to `html_date`.
    """
    meta = head_metadata(tree, url)
    meta.title = meta.title or body_title(tree)
    meta.author = meta.author or page_author(tree)
    return meta


def body_title(tree: HtmlElement) -> str | None:
    """trafilatura's title search of the page's body (<h1>, <h2>), trimmed."""
    return trim(extract_title(tree) or "") or None


def head_metadata(tree: HtmlElement, url: str | None) -> Document:
    """`page_metadata` without the searches of the page's body for a title and an author
    (the station reads its own first, and trafilatura's only when those find nothing)."""
    found = list(tree.iterdescendants("head", "script"))  # one walk over the page for both
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = meta_json([element for element in found if element.tag == "script"], meta)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        logger.debug("JSON-LD metadata failed: %s", exc)
    if not meta.url:
        heads = [element for element in found if element.tag == "head"]
        meta.url = extract_url(tree, url) if has_url_link(heads) else url
    meta.clean_and_trim()
    return meta


def has_url_link(heads: list[HtmlElement]) -> bool:
    """Whether any of the page's <head> elements holds an element `extract_url` reads (its
    URL_SELECTORS); without one it returns the default URL, after three walks over the page."""
    return any(
        element.tag == "base" or element.get("rel") == "canonical"
        or element.get("rel") == "alternate" and element.get("hreflang") == "x-default"
        for head in heads for element in head.iterdescendants("link", "base"))


def meta_json(scripts: list[HtmlElement], metadata: Document) -> Document:
    """trafilatura's `extract_meta_json` over the page's <script> elements: no XPath over the
    whole page, and quicker, equivalent string clean-ups (`minify_json`, `normalize_json`)."""
    for elem in scripts:
        if elem.get("type") not in JSON_SCRIPT_TYPES or not elem.text:
            continue
        element_text = normalize_json(minify_json(elem.text))
        try:
            schema = json.loads(element_text, strict=False)
            metadata = extract_json(schema, metadata)
        except json.JSONDecodeError:
            metadata = extract_json_parse_error(element_text, metadata)
    return metadata


def minify_json(text: str) -> str:
    """trafilatura's `JSON_MINIFY.sub(r"\\1", text)`: whitespace outside string literals removed."""
    parts = JSON_STRING.split(text)  # odd items: the string literals
    parts[::2] = [JSON_SPACE.sub("", part) for part in parts[::2]]
    return "".join(parts)


def normalize_json(string: str) -> str:
    """trafilatura's `normalize_json`, dropping surrogates with a regular expression instead of
    a Python loop over every character."""
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = unescape(SURROGATES.sub("", string))
    return trim(HTML_STRIP_TAGS.sub("", string))


def page_author(tree: HtmlElement) -> str | None:
    """trafilatura's `extract_author`, without its copy of the page and six XPaths.

    Same candidates in the same order (see `author_ranks`): the first whose text, once the
    sections trafilatura prunes are gone (see `author_text`), has a plausible length.
    Candidates of the two specific ranks come from a walk over their tags, which stops at the
    first good rank-0 one; the last resort is only searched when those give nothing.
    """
    second: list[HtmlElement] = []  # rank-1 candidates, tried after every rank-0 one
    for element in tree.iter(*AUTHOR_TAGS):
        if element.tag != "author" and AUTHOR_HINT.search(" ".join(element.values())) is None:
            continue
        ranks = author_ranks(element.tag, element.attrib)
        if ranks and ranks[0] == 0:
            content = author_text(element)
            if content and 2 < len(content) < AUTHOR_MAX_CHARS:
                return normalize_authors(None, content)
        elif ranks and ranks[0] == 1:
            second.append(element)
    for element in itertools.chain(second, last_resort_authors(tree)):
        content = author_text(element)
        if content and 2 < len(content) < AUTHOR_MAX_CHARS:
            return normalize_authors(None, content)
    return None


def last_resort_authors(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Candidates of trafilatura's last-resort author XPath only, in page order."""
    for element in LAST_RESORT_AUTHORS(tree):
        if author_ranks(element.tag, element.attrib)[:1] == [2]:
            yield element


def author_text(element: HtmlElement) -> str | None:
    """The text trafilatura reads in an author candidate: None if a pruned section holds it,
    else its text once the pruned sections inside it are deleted from a copy, as trafilatura
    does (tails kept, joined to the text before them; the order of deletion does not matter)."""
    if is_discarded(element) or any(is_discarded(above) for above in element.iterancestors()):
        return None
    inner = [index for index, below in enumerate(element.iter()) if is_discarded(below)]
    if inner:
        element = deepcopy(element)
        below = list(element.iter())
        for index in inner:
            delete_element(below[index])
    return trim(" ".join(element.itertext()))


def is_discarded(element: HtmlElement) -> bool:
    """Whether trafilatura's author pruning deletes this element (see `author_discarded`)."""
    return isinstance(element.tag, str) and author_discarded(element.tag, element.attrib)


def author_discarded(tag: str, attrib: Any) -> bool:
    """trafilatura.xpaths.AUTHOR_DISCARD_XPATHS for one element (comments, sidebars, dates)."""
    if tag in ("time", "figure"):
        return True
    if tag not in ("a", "div", "section", "span"):
        return False
    ident, cls = attrib.get("id", ""), attrib.get("class", "")
    return (ident == "comments" or cls in ("comments", "title", "date")
            or DISCARD_ID.search(ident) is not None or DISCARD_CLASS.search(cls) is not None
            or "Figure" in attrib.get("data-component", ""))


def author_ranks(tag: str, attrib: Any) -> list[int]:
    """Which of trafilatura.xpaths.AUTHOR_XPATHS (0 specific .. 2 last resort) match."""
    ident, cls = attrib.get("id", ""), attrib.get("class", "")
    itemprop = attrib.get("itemprop", "")
    ranks = []
    if tag == "author" or tag in ("a", "address", "div", "link", "p", "span", "strong") and (
            attrib.get("rel") == "author" or ident == "author" or cls == "author"
            or itemprop == "author name"
            or attrib.get("data-testid") in ("AuthorCard", "AuthorURL")
            or AUTHOR_CLASS_0.search(cls) is not None):
        ranks.append(0)
    if tag in ("a", "div", "h3", "h4", "p", "span") and (
            cls in ("byline", "username", "byl", "BBL") or "author" in itemprop
            or AUTHOR_ID_1.search(ident) is not None or AUTHOR_CLASS_1.search(cls) is not None):
        ranks.append(1)
    if ("Byline" in attrib.get("data-component", "") or "author" in itemprop
            or AUTHOR_ID_2.search(ident) is not None or AUTHOR_CLASS_2.search(cls) is not None):
        ranks.append(2)
    return ranks


def html_date(html: str | HtmlElement, url: str | None = None) -> tuple[str | None, str | None]:
    """The page's publication date and where it came from (page metadata, else page text)."""
    for extensive, origin in ((False, "html_metadata"), (True, "html_text")):
        try:
            found = find_date(html, extensive_search=extensive, original_date=True,
                              max_date=_max_date(), url=url)
        except (ValueError, TypeError) as exc:
            logger.debug("htmldate failed: %s", exc)
            found = None
        if found and not (extensive and year_only_guess(found, html)):
            return found, origin
    return None, None


# htmldate's text search turns a bare year ("In 2023, ...") into January 1st of that year.
JANUARY_FIRST = re.compile(r"\b(?:0?1[./-]0?1|\d{4}-01-01|jan[a-z]*\.?\s+0?1(?:st)?\b"
                           r"|0?1(?:st|er|º)?\.?\s+(?:of\s+|de\s+)?jan)", re.IGNORECASE)


def year_only_guess(found: str, html: str | HtmlElement) -> bool:
    """Whether a January 1st date is htmldate's guess from a bare year, not a written date."""
    if not found.endswith("-01-01"):
        return False
    text = html if isinstance(html, str) else html.text_content()
    return JANUARY_FIRST.search(text) is None


def _max_date() -> str:
    """Latest plausible publication date (today), computed per call, not per process."""
    return date.today().isoformat()


def find_text_date(text: str, languages: list[str] | None) -> str | None:
    """The first full date (day, month, year) written in `text`, read in `languages`."""
    import dateparser  # on first use: ~0.05 s of start-up a page with a date never needs
    for match in TEXT_DATE.finditer(text[:3000]):
        parsed = dateparser.parse(
            match.group(0), languages=languages or None,
            settings={"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first"},
        )
        if parsed and datetime(1990, 1, 1) <= parsed <= datetime.now():
            return parsed.date().isoformat()
    return None


def normalise_paragraphs(text: str) -> str:
    """Trim lines, collapse runs of blank lines, keep paragraph breaks."""
    lines = [line.strip() for line in HORIZONTAL_SPACE.sub(" ", text).splitlines()]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def opening_sentence(text: str) -> str:
    """The first sentence of `text`, shortened to a title's length."""
    text = text.strip()
    end = next((m.start() for m in SENTENCE_END.finditer(text)
                if m.start() >= TITLE_MIN_CHARS and not _after_abbreviation(text, m.start())),
               None)
    first = text[:end].strip() if end is not None else text
    if len(first) > TITLE_MAX_CHARS:
        first = first[:TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def _after_abbreviation(text: str, end: int) -> bool:
    """Whether `text[:end]` ends with an abbreviation such as `U.S.` or `Dr.`."""
    return ABBREVIATION_END.search(text, max(0, end - 64), end) is not None


@functools.lru_cache(maxsize=16)
def normalise_for_hash(text: str) -> str:
    """Case-, accent- and whitespace-folded text for exact-copy comparison (the hash and
    dedup's shingles both read it: cached for the few articles in flight)."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():
        folded = folded.translate(WITHOUT_COMBINING)
    return " ".join(WORD.findall(folded))


class _WithoutCombining(dict[int, str | None]):
    """A `str.translate` table dropping combining marks, filled one character at a time."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        kept = None if unicodedata.combining(char) else char
        self[code] = kept
        return kept


WITHOUT_COMBINING = _WithoutCombining()


def content_hash(text: str) -> str:
    """SHA-1 of the normalised text."""
    return hashlib.sha1(normalise_for_hash(text).encode("utf-8")).hexdigest()


def clean(value: str | None) -> str | None:
    """Strip a metadata string; None when empty."""
    value = (value or "").strip()
    return value or None


# --- The article's own date (with its time and offset) and its byline, from its own markup ---

# schema.org types of an article: NewsArticle, ReportageNewsArticle, ScholarlyArticle... end so.
ARTICLE_TYPES = ("BlogPosting", "LiveBlogPosting", "Report", "SocialMediaPosting")
ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?")
# <meta> properties holding the article's publication time, best first.
PUBLISHED_META = ("article:published_time", "og:article:published_time",
                  "article:published:time", "http://ogp.me/ns/article#published_time")
AUTHOR_META = ("author", "article:author", "dc.creator", "dcterms.creator", "byl",
               "sailthru.author", "parsely-author", "cxenseparse:author")
PUBLISHER_META = ("og:site_name", "publisher", "dc.publisher", "application-name")
# What a publisher's name may add to its own name when it signs as author ("n-tv NACHRICHTEN").
PUBLISHER_SUFFIXES = ("", "nachrichten", "news", "online", "redaktion", "newsroom", "tv", "de",
                      "at", "be", "com", "net")
BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af)\s+", re.IGNORECASE)
# One person written "Last, First" (or "Last, First M."): kept whole, never split on the comma.
LAST_FIRST = re.compile(r"[^\W\d_][\w'’-]*,\s+[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*\.?)?")
# Links to an author's own page: /author/jane-doe, /autoren/name/jane-doe, /reporter/jd...
AUTHOR_LINKS = XPath('//a[contains(@href, "/autor") or contains(@href, "/author")'
                     ' or contains(@href, "/reporter") or contains(@href, "/journalist")]')
AUTHOR_PAGE = re.compile(r"/(?:autor|author|reporter|journalist)[a-z]*/[^?#]*[^\W\d_]",
                         re.IGNORECASE)
# A person's name as a link text: two to five words of letters (initials, "Dr." and hyphens).
LINKED_NAME = re.compile(r"[^\W\d_][^\W\d_.'’-]*\.?(?:[ '’-][^\W\d_][^\W\d_.'’-]*\.?){1,4}")
HOST_PARTS = ("www", "m", "amp", "com", "net", "org", "co", "de", "at", "ch", "uk", "be", "fr")


def json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """The page's JSON-LD objects at the top level of each script, `@graph` members included."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict):
                graph = item.get("@graph")
                objects += [item] + [o for o in _as_list(graph) if isinstance(o, dict)]
    return objects


def _as_list(value: Any) -> list[Any]:
    """`value` as a list (JSON-LD gives one value or a list of them)."""
    return value if isinstance(value, list) else [] if value is None else [value]


def is_article_type(value: Any) -> bool:
    """Whether a JSON-LD `@type` (one or a list) names an article."""
    return any(isinstance(kind, str) and (kind.endswith("Article") or kind in ARTICLE_TYPES)
               for kind in _as_list(value))


def main_article(objects: list[dict[str, Any]], url: str | None) -> dict[str, Any] | None:
    """The page's own article object: the article-typed one marked as the page's main entity
    (its mainEntityOfPage is this page, or a WebPage names it as mainEntity), else the first.

    Only top-level objects count: images, teasers and related articles sit inside them."""
    articles = [o for o in objects if is_article_type(o.get("@type"))]
    articles += [main for o in objects for main in _as_list(o.get("mainEntity"))
                 if isinstance(main, dict) and is_article_type(main.get("@type"))]
    if not articles:
        return None
    own = [o for o in articles if _same_page(o.get("mainEntityOfPage"), url)]
    marked = [o for o in articles if o.get("mainEntityOfPage")]
    return (own or marked or articles)[0]


def _same_page(value: Any, url: str | None) -> bool:
    """Whether a mainEntityOfPage value (URL or {"@id": URL}) points to `url`."""
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return bool(url) and isinstance(value, str) and url_key(value) == url_key(url or "")


def parse_published(value: Any) -> str | None:
    """An ISO date or datetime as stored: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` with the page's
    offset (`+01:00`, Z as `+00:00`) when it gives one; None when not a plausible date."""
    if not isinstance(value, str):
        return None
    match = ISO_DATETIME.fullmatch(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
        if hour is not None:
            datetime(2000, 1, 1, int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if not date(1990, 1, 1) <= day_value <= date.fromordinal(date.today().toordinal() + 1):
        return None
    if hour is None:
        return day_value.isoformat()
    stamp = f"{day_value.isoformat()}T{hour}:{minute}:{second or '00'}"
    return stamp + _offset(offset)


def _offset(offset: str | None) -> str:
    """A UTC offset as `+HH:MM` (Z as `+00:00`); empty when the page gives none."""
    if not offset:
        return ""
    if offset == "Z":
        return "+00:00"
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"


def published_candidates(metas: list[HtmlElement], objects: list[dict[str, Any]],
                         url: str | None) -> list[str]:
    """The page's own publication dates, best first: its main JSON-LD article's
    datePublished (dateCreated when it has none), article:published_time and its variants,
    then `<meta itemprop="datePublished">` and a `<meta name="date">`."""
    values: list[Any] = []
    article = main_article(objects, url)
    if article is not None:
        values.append(article.get("datePublished") or article.get("dateCreated"))
    contents: dict[str, str | None] = {}
    for element in metas:
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "")
        contents.setdefault(key.lower(), element.get("content"))
    values += [contents.get(key) for key in PUBLISHED_META]
    values += [contents.get("datepublished"), contents.get("date")]
    parsed = [parse_published(value) for value in values]
    return [value for value in parsed if value]


def page_published(metas: list[HtmlElement], objects: list[dict[str, Any]],
                   url: str | None) -> str | None:
    """The article's own publication date from its markup: the first candidate, given the
    time or offset a later candidate of the same day (and minute) adds to it."""
    candidates = published_candidates(metas, objects, url)
    if not candidates:
        return None
    best = candidates[0]
    for other in candidates[1:]:
        if len(other) > len(best) and other.startswith(best[:16]):
            best = other
    return best


def page_date(tree: HtmlElement, url: str | None, objects: list[dict[str, Any]] | None = None,
              metas: list[HtmlElement] | None = None) -> tuple[str | None, str | None]:
    """The publication date and where it came from: the page's article markup (JSON-LD
    article, then article:published_time), else htmldate (page metadata, then page text)."""
    own = page_published(meta_elements(tree) if metas is None else metas,
                         json_ld_objects(tree) if objects is None else objects, url)
    if own:
        return own, "html_metadata"
    return html_date(tree, url)


def page_byline(tree: HtmlElement, url: str | None, found: str | None,
                objects: list[dict[str, Any]] | None = None,
                metas: list[HtmlElement] | None = None) -> str | None:
    """The article's byline: the persons named by the first source that names one (its
    JSON-LD article, its author <meta>, `found` (trafilatura's choice), its page byline, its
    links to an author's page), else an organisation its JSON-LD names; never the
    publisher's own name. Joined by "; "."""
    objects = json_ld_objects(tree) if objects is None else objects
    metas = meta_elements(tree) if metas is None else metas
    publishers = publisher_keys(metas, objects, url)
    people, bodies = json_ld_authors(main_article(objects, url), objects)
    sources: Iterator[list[str]] = itertools.chain(
        [people, _split_all(meta_authors(metas)), _split_all([found] if found else [])],
        _page_byline_names(tree), _author_link_names(tree))  # read only when needed
    for names in itertools.chain(sources, [bodies]):
        kept = [name for name in dict.fromkeys(names) if not is_publisher(name, publishers)]
        if kept:
            return "; ".join(kept)
    return None


def _page_byline_names(tree: HtmlElement) -> Iterator[list[str]]:
    """The names of the page's own byline (trafilatura's author search), when asked for."""
    name = page_author(tree)
    if name:
        yield _split_all([name])


def _author_link_names(tree: HtmlElement) -> Iterator[list[str]]:
    """The names of the page's first link to an author's own page ("von <a
    href="/autoren/jane-doe">Jane Doe</a>") outside menus and footers, and of the links beside
    it, when asked for."""
    links = [link for link in AUTHOR_LINKS(tree) if AUTHOR_PAGE.search(link.get("href", ""))
             and next(link.iterancestors("nav", "footer", "aside"), None) is None]
    names = []
    for link in links[:1] + [link for link in links[1:]
                             if link.getparent() is links[0].getparent()]:
        text = BYLINE_PREFIX.sub("", " ".join(link.text_content().split()))
        words = text.split()
        if LINKED_NAME.fullmatch(text) and not (words[0].islower() or words[-1].islower()):
            names.append(text)
    yield names


def _split_all(bylines: list[str]) -> list[str]:
    """The names in several bylines, in order (see `split_byline`)."""
    return [name for byline in bylines for name in split_byline(byline)]


def json_ld_authors(article: dict[str, Any] | None,
                    objects: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The persons and the organisations a JSON-LD article names as author (`@id` references
    resolved through the page's other objects)."""
    people: list[str] = []
    bodies: list[str] = []
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    for author in _as_list((article or {}).get("author")):
        if isinstance(author, str):
            people += split_byline(author)
            continue
        if not isinstance(author, dict):
            continue
        if not author.get("name") and author.get("@id") in by_id:
            author = by_id[author["@id"]]
        name = author.get("name")
        if isinstance(name, str) and name.strip():
            kinds = _as_list(author.get("@type"))
            (bodies if "Organization" in kinds or any(
                str(kind).endswith("Organization") for kind in kinds) else people).append(
                " ".join(name.split()))
    return people, bodies


def meta_authors(metas: list[HtmlElement]) -> list[str]:
    """The names in the page's author <meta> elements (not URLs or social handles)."""
    names = []
    for element in metas:
        key = (element.get("name") or element.get("property") or "").lower()
        value = (element.get("content") or "").strip()
        if key in AUTHOR_META and value and not value.startswith(("http", "@", "www.")):
            names.append(value)
    return names


def split_byline(text: str) -> list[str]:
    """The names in a byline: one "Last, First" kept whole, else trafilatura's split."""
    text = BYLINE_PREFIX.sub("", " ".join(text.split()))
    if LAST_FIRST.fullmatch(text):
        return [text]
    names = normalize_authors(None, text) or ""
    return [name.strip() for name in names.split(";") if name.strip()]


def publisher_keys(metas: list[HtmlElement], objects: list[dict[str, Any]],
                   url: str | None) -> set[str]:
    """Folded names of the publisher: og:site_name and publisher <meta>, JSON-LD publisher
    (and Organization/WebSite) names, and the site's host name."""
    names = [element.get("content") for element in metas
             if (element.get("property") or element.get("name") or "").lower() in PUBLISHER_META]
    for item in objects:
        for publisher in _as_list(item.get("publisher")) + [item]:
            if isinstance(publisher, dict) and (publisher is not item or str(
                    publisher.get("@type")) in ("Organization", "NewsMediaOrganization",
                                                "WebSite")):
                names.append(publisher.get("name"))
    host = re.sub(r"^\w+://", "", url or "").split("/")[0].lower()
    labels = [label for label in host.split(".") if label not in HOST_PARTS]
    names += labels + [".".join(labels)]
    return {key for key in (name_key(name) for name in names if isinstance(name, str)) if key}


def name_key(name: str) -> str:
    """A name or title folded for comparison, its word characters only: "Börsen-Zeitung" and
    "börsen zeitung", "n-tv" and "NTV" agree."""
    return "".join(WORD.findall(unescape(name).casefold()))


def is_publisher(name: str, publishers: set[str]) -> bool:
    """Whether `name` is the publisher's own ("n-tv NACHRICHTEN" for n-tv.de, "DW")."""
    key = name_key(name)
    return bool(key) and any(
        key == other + suffix or other == key + suffix
        for other in publishers for suffix in PUBLISHER_SUFFIXES)


# ----- titles: the article's headline, without the site's or section's name -----

# Between a headline and a site or section name: spaced dashes, bars, colons, middle dots,
# guillemets and slashes; bars (the Hangul ㅣ too) and the full-width colon also unspaced
# ("…｜日刊ゲンダイ").
TITLE_SEPARATOR = re.compile(r"(\s+[|\-–—:·»/]\s+|\s*[|｜：ㅣ]\s*)")
# After a kicker: a colon, spaced dashes, bars, slashes, middle dots or guillemets.
KICKER_SEPARATOR = re.compile(r":\s+|\s+[\-–—|/·»]\s+")
# JSON-LD types whose `headline` is the page's own article (NewsArticle, BlogPosting...).
ARTICLE_TYPE = re.compile(r"Article|Posting|Report")
# A headline found in <title> covers at least this share of it (not a section name in it).
HEADLINE_MIN_SHARE = 0.4
FIRST_H1 = XPath("(//article//h1 | //main//h1)[1]")
ANY_H1 = XPath("(//h1)[1]")
QUOTES = re.compile("[\"'“”„‘’‚«»‹›]")
# Around a headline inside a longer title: bars, spaced dashes, an unspaced hyphen after it.
SEPARATOR_START = re.compile(r"\s*[|｜ㅣ]|\s+[\-–—·»]\s|-(?=\S)")
SEPARATOR_END = re.compile(r"(?:[|｜ㅣ]|\s[\-–—·»])\s*$")


@dataclass(frozen=True)
class TitleCandidates:
    """What a page gives as its headline, and the names of its site (folded, see `name_key`)."""

    headline: str | None  # JSON-LD `headline` of the page's article
    h1: str | None  # the first <h1> inside <article> or <main>, else the page's first
    og: str | None  # og:title, else twitter:title
    title: str | None  # <title>
    sites: frozenset[str]


def page_title(tree: HtmlElement, url: str | None) -> str | None:
    """The article's headline: the page's own article markup, without site or section names."""
    return choose_title(title_candidates(tree, url))


def title_candidates(tree: HtmlElement, url: str | None,
                     top: list[dict[str, Any]] | None = None,
                     metas: list[HtmlElement] | None = None) -> TitleCandidates:
    """The headline candidates of a parsed page and its site names (`top` and `metas`: the
    page's `json_ld_objects` and `meta_elements`, when already read)."""
    meta = head_meta(meta_elements(tree) if metas is None else metas)
    objects = list(ld_json_nodes(tree) if top is None else json_objects(top))
    articles = [item for item in objects if ARTICLE_TYPE.search(str(item.get("@type", "")))]
    title = tree.find(".//title")
    return TitleCandidates(
        headline=first_text(item.get("headline") for item in articles),
        h1=first_text(element.text_content() for element in FIRST_H1(tree) or ANY_H1(tree)),
        og=first_text([meta.get("og:title"), meta.get("twitter:title")]),
        title=first_text([title.text_content() if title is not None else None]),
        sites=site_names(meta, objects, url),
    )


def choose_title(found: TitleCandidates) -> str | None:
    """og:title, else the JSON-LD headline, <title> or <h1>, without site and section names;
    the JSON-LD headline where the candidates' agreement sides with it (`prefers_headline`);
    a headline two candidates share after different kickers; in its most usual typography."""
    headline, h1 = (strip_site(text, found.sites) if text else None
                    for text in (found.headline, found.h1))
    marks = [headline] if headline else [h1] if h1 else []  # the article's own headline
    social, core = (within(strip_site(text, found.sites), marks) if text else None
                    for text in (found.og, found.title))
    best = headline if prefers_headline(headline, h1, social, core) else (
        social or headline or core or h1)
    if best is None:
        return None
    others = [text for text in (social, headline, h1, core) if text]
    best = shared_headline(best, others) or best
    return usual_form(best, others)


def prefers_headline(headline: str | None, h1: str | None, social: str | None,
                     core: str | None) -> bool:
    """Whether the JSON-LD headline, not a differing og:title, is the article's: og:title only
    repeats <title> while JSON-LD and <h1> agree; og:title, <h1> and <title> show one headline
    and JSON-LD names another (not the same one with a kicker: a live ticker's own name under
    its latest entry); or <title> agrees with JSON-LD and og:title with nothing."""
    if not (headline and h1 and social and core) or agree(social, headline):
        return False
    if agree(headline, h1):
        return agree(social, core)
    if agree(social, h1) and agree(social, core):
        return not with_kicker(social, headline)
    return agree(headline, core) and not agree(social, h1)


def with_kicker(first: str, second: str) -> bool:
    """Whether one title is the other with words added before or after it."""
    longer, shorter = sorted((name_key(first), name_key(second)), key=len, reverse=True)
    return longer.startswith(shorter) or longer.endswith(shorter)


def shared_headline(best: str, others: list[str]) -> str | None:
    """The headline `best` shares with another candidate that puts a different kicker before
    it ("Attack on Israel: «Quote»" and "Escalation - «Quote»" give «Quote»); else None."""
    kicker, headline = split_kicker(best)
    if not kicker:
        return None
    words = set(WORD.findall(kicker.casefold()))
    for other in others:
        other_kicker, other_headline = split_kicker(other)
        if (other_kicker and agree(other_headline, headline)
                and not words & set(WORD.findall(other_kicker.casefold()))):
            return headline
    return None


def split_kicker(text: str) -> tuple[str, str]:
    """A title's kicker (before its first colon, spaced dash, bar or slash) and the rest;
    ("", text) without one."""
    parts = KICKER_SEPARATOR.split(text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", text)


def usual_form(best: str, others: list[str]) -> str:
    """`best` as the candidates most often write its words: the form with the fewest quotation
    marks, then the one most candidates give, then `best` itself."""
    forms = [text for text in others if unquoted(text) == unquoted(best)] or [best]
    return min(forms, key=lambda text: (len(QUOTES.findall(text)), -forms.count(text),
                                        text != best))


def agree(first: str, second: str) -> bool:
    """Whether two titles have the same words (case, quotes and punctuation aside)."""
    return name_key(first) == name_key(second)


def unquoted(text: str) -> str:
    """`text` without quotation marks and apostrophes, whitespace collapsed."""
    return " ".join(QUOTES.sub("", text).split())


def within(text: str, marks: list[str]) -> str:
    """The first of `marks` that `text` holds whole, with only a separated kicker, section or
    site name around it ("Sport | Headline", "Headline - National"); else `text`."""
    for mark in marks:
        if len(name_key(mark)) < HEADLINE_MIN_SHARE * len(name_key(text)):
            continue
        if text.startswith(mark) and SEPARATOR_START.match(text, len(mark)):
            return mark
        if text.endswith(mark) and SEPARATOR_END.search(text, 0, len(text) - len(mark)):
            return mark
    return text


def meta_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The page's <meta> elements (read once, used by the title, date and byline)."""
    return list(tree.iter("meta"))


def head_meta(metas: list[HtmlElement]) -> dict[str, str]:
    """The first content of each <meta> property or name (og:title, og:site_name...)."""
    values: dict[str, str] = {}
    for element in metas:
        key, content = element.get("property") or element.get("name"), element.get("content")
        if key and content and key not in values:
            values[key] = content
    return values


def ld_json_nodes(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object, nested ones included, of the page's JSON-LD scripts."""
    for script in tree.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            yield from json_objects(json.loads(script.text, strict=False))
        except json.JSONDecodeError as exc:
            logger.debug("JSON-LD not read: %s", exc)


def json_objects(value: Any) -> Iterator[dict[str, Any]]:
    """`value` and the objects nested in it, depth first."""
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from json_objects(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from json_objects(inner)


def first_text(values: Any) -> str | None:
    """The first non-empty string among `values`, entities decoded, whitespace collapsed."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return " ".join(unescape(value).split())
    return None


def site_names(meta: dict[str, str], objects: list[dict[str, Any]], url: str | None
               ) -> frozenset[str]:
    """The site's names, folded: og:site_name, application-name, JSON-LD publisher and
    WebSite names, the host name with and without its suffix."""
    names = [meta.get("og:site_name"), meta.get("application-name")]
    for item in objects:
        publisher = item.get("publisher")
        if isinstance(publisher, dict):
            names.append(publisher.get("name"))
        if item.get("@type") == "WebSite":
            names.append(item.get("name"))
    host = re.sub(r"^www\d?\.", "", urlsplit(url or "").hostname or "")
    names += [host, host.rsplit(".", 1)[0]]
    return frozenset(name_key(name) for name in names if isinstance(name, str) and name_key(name))



def strip_site(text: str, sites: frozenset[str]) -> str:
    """`text` without its leading and trailing separated parts that name the site or a date."""
    parts = TITLE_SEPARATOR.split(text)  # even items: the parts, odd items: separators
    while (shorter := without_site_part(parts, sites)) is not None:
        parts = shorter
    return "".join(parts).strip()


def without_site_part(parts: list[str], sites: frozenset[str]) -> list[str] | None:
    """`parts` without their shortest leading or trailing run naming the site (None: none)."""
    for size in range(1, len(parts) - 1, 2):
        if is_site_part(parts[:size], sites):
            return parts[size + 1:]
        if is_site_part(parts[-size:], sites):
            return parts[:-size - 1]
    return None


def is_site_part(parts: list[str], sites: frozenset[str]) -> bool:
    """Whether these parts of a title (with their separators) are a site name or a date."""
    folded = name_key("".join(parts))
    return folded in sites or folded.isdigit()
