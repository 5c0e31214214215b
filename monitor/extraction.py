"""Extraction station: body text, title, author, date and canonical URL from HTML or text."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from datetime import date, datetime

import dateparser
import trafilatura
from htmldate import find_date

from monitor.items import Article

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
    article.title = article.title or article.hints.get("title") or opening_sentence(article.text)
    article.content_hash = content_hash(article.text)
    return article


def check_body(body: str) -> None:
    """Reject empty and binary bodies."""
    if not body or not body.strip():
        raise ExtractionError("empty document")
    sample = body[:4096]
    controls = sum(1 for ch in sample if ch == "\x00" or ch == "\ufffd" or
                   (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v"))
    if controls > max(8, len(sample) // 50):
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
    """An HTML page, through trafilatura, with the date's origin recorded."""
    doc = trafilatura.bare_extraction(
        article.body, url=article.url, with_metadata=True, include_comments=False,
        include_tables=True, deduplicate=False, favor_precision=False,
    )
    if doc is None or not (doc.text or "").strip():
        raise ExtractionError("no article text found in HTML")
    article.text = normalise_paragraphs(doc.text)
    article.title = clean(doc.title)
    article.author = clean(doc.author)
    article.canonical_url = doc.url or article.url
    article.published, article.date_source = html_date(article.body)


def html_date(html: str) -> tuple[str | None, str | None]:
    """The page's publication date and where it came from (page metadata, else page text)."""
    for extensive, origin in ((False, "html_metadata"), (True, "html_text")):
        try:
            found = find_date(html, extensive_search=extensive, original_date=True,
                              max_date=_max_date())
        except (ValueError, TypeError) as exc:
            logger.debug("htmldate failed: %s", exc)
            found = None
        if found:
            return found, origin
    return None, None


def _max_date() -> str:
    """Latest plausible publication date (today), computed per call, not per process."""
    return date.today().isoformat()


def find_text_date(text: str, languages: list[str] | None) -> str | None:
    """The first full date (day, month, year) written in `text`, read in `languages`."""
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
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def opening_sentence(text: str) -> str:
    """The first sentence of `text`, shortened to a title's length."""
    text = text.strip()
    ends = [m.start() for m in SENTENCE_END.finditer(text)
            if m.start() >= TITLE_MIN_CHARS and not ABBREVIATION_END.search(text[: m.start()])]
    first = text[: ends[0]].strip() if ends else text
    if len(first) > TITLE_MAX_CHARS:
        first = first[:TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return first


def normalise_for_hash(text: str) -> str:
    """Case-, accent- and whitespace-folded text for exact-copy comparison."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", folded))


def content_hash(text: str) -> str:
    """SHA-1 of the normalised text."""
    return hashlib.sha1(normalise_for_hash(text).encode("utf-8")).hexdigest()


def clean(value: str | None) -> str | None:
    """Strip a metadata string; None when empty."""
    value = (value or "").strip()
    return value or None
