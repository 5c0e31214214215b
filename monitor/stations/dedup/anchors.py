"""Language-neutral story anchors: numbers, dates, years, names and quoted titles.

Two reports of one story in different words or languages still share the facts that do not
translate: counts, dates, the names of people, places, agencies and operations. Each anchor is a
key (`kind:value`) that reads the same in every language; names are folded to ASCII and cut to a
short stem so that inflected (Cyrillic) and transliterated spellings meet.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from operator import itemgetter

from anyascii import anyascii

from monitor.stations.numbers import find_numbers as profile_numbers
from monitor.stations.profiles import Profile

logger = logging.getLogger(__name__)

KINDS = ("number", "year", "date", "name", "pair", "title")
KIND_PREFIXES = {"n": "number", "y": "year", "d": "date", "p": "name", "b": "pair",
                 "q": "title"}
STEM_CHARS = 5
YEAR_MIN, YEAR_MAX = 1900, 2099
LEAD_CHARS = 400
TITLE_MAX_WORDS = 6
# What a page can make this station do. Title and text are read up to this many
# characters, the span relevance and facts read (relevance.ANALYSED_CHARS).
MAX_TEXT_CHARS = 100_000
# Anchors kept per article (the first found: dates, numbers, names, titles): a long report has
# a few hundred; each is a row of the dedup index and a lookup when candidates are sought.
MAX_ANCHORS = 2000

# The regexes below open with a character class where they can, so that the regex engine skips
# ahead to it instead of trying every position; the look-behinds that follow it test the
# character before the match.
# A digit group not preceded by a digit, `.` or `,`: `1,234,567.8` (grouped) or `36,2` / `78`.
DIGITS = re.compile(r"\d(?<![\d.,]\d)(?:\d{0,2}(?:[,.\u00a0\u202f ’']\d{3})+(?:[.,]\d+)?"
                    r"(?!\d|[.,]\d)|\d*(?:[.,]\d+)?(?!\d|[.,]\d))")
# Letters, joined by ' ’ - when a letter follows (`Naval'nogo`, `Jean-Paul`).
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# `. `, a newline run, a list bullet or dash and a space, an opening quote: the first character
# decides which; the look-behind then reads it again.
SENTENCE_BREAK = re.compile(r"[.!?…:;\n•·▪\-–—“«„\"](?:(?<=[.!?…:;])\s+|(?<=\n)\n*"
                            r"|(?<=[•·▪\-–—])\s|(?<=[“«„\"])\s*)")
# `(?<!\w\d)` after the first digit is `\b` before it
ISO_DATE = re.compile(r"(\d(?<!\w\d)\d{3})-(\d{2})-(\d{2})\b")
NAME_GAP = re.compile(r"[ \t\u00a0]+(?:[A-Z]\.[ \t\u00a0]*)*|-")
QUOTED = re.compile(r"[“«„\"]\s*([^“”«»„\"\n]{2,80}?)\s*[”»“\"]")
ORDINAL = r"(?:er|re|e|st|nd|rd|th|º|°|\.)?"
YEAR_PREFIX = re.compile(r"\d{4}")
DIGIT = re.compile(r"\d")
DIGIT_SEPARATORS = re.compile(r"[,.\u00a0\u202f ’']")
NOT_ASCII_LOWER = re.compile(r"[^a-z]")
REPEATS = re.compile(r"(.)\1+")
STEM_CACHE = 1 << 16
# Letters that are never upper case (ASCII, Latin-1, Greek and Cyrillic lower case; Arabic,
# kana, CJK and Hangul are uncased): a word starting with one is never a name.
NEVER_UPPER = ("a-z\u00df-\u00f6\u00f8-\u00ff\u03ac-\u03ce\u0430-\u045f\u0600-\u06ff"
               "\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3")
# The WORD matches that may be names: same spans as WORD.finditer, found by a first-character
# scan (the class comes first, so the regex engine skips to it); the look-behinds say the
# letter does not continue a word (after a letter, or after a letter and ' ’ -).
# A WORD match at the position matched at: a letter that does not continue a word.
WORD_AT = re.compile(rf"(?<![^\W\d_])(?<![^\W\d_]['’\-]){WORD.pattern}")
NAME_CANDIDATE = re.compile(rf"[^\W\d_{NEVER_UPPER}](?<![^\W\d_][^\W\d_])"
                            rf"(?<![^\W\d_]['’\-][^\W\d_])"
                            r"[^\W\d_]*(?:['’\-][^\W\d_]+)*")


@dataclass
class Anchors:
    """The anchors of one text: key -> a readable form (for evidence), plus the lead's counts."""

    keys: dict[str, str] = field(default_factory=dict)
    lead_numbers: set[float] = field(default_factory=set)
    years: set[int] = field(default_factory=set)

    def add(self, key: str, display: str) -> None:
        """Record `key`, keeping the first readable form seen."""
        self.keys.setdefault(key, display)


def kind_of(key: str) -> str:
    """The anchor kind encoded in a key's prefix."""
    return KIND_PREFIXES[key[:key.index(":")]]


def fold(text: str) -> str:
    """ASCII transliteration, case-folded."""
    return anyascii(unicodedata.normalize("NFC", text)).lower()


@functools.lru_cache(maxsize=STEM_CACHE)
def stem(word: str) -> str:
    """A short spelling-tolerant key for a name token (Naval'nogo ~ Navalny ~ navalnyi)."""
    letters = NOT_ASCII_LOWER.sub("", fold(word))
    letters = letters.replace("x", "ks").replace("ph", "f").replace("ck", "k")
    letters = letters.replace("y", "i").replace("j", "i").replace("w", "v")
    letters = REPEATS.sub(_first_group, letters)  # a function: a `\1` template costs more
    return letters[:STEM_CHARS]


def _first_group(match: re.Match[str]) -> str:
    """The first group of `match`."""
    return match.group(1)


def parse_digits(token: str) -> float | None:
    """The value of a digit group: `12,114` / `12.114` / `12 114` -> 12114, `36,2` -> 36.2;
    None for a value no float holds (309 digits and more: infinity)."""
    value = _digits_value(token)
    return value if value is not None and math.isfinite(value) else None


def _digits_value(token: str) -> float | None:
    """`parse_digits` before the finiteness check."""
    if token.isdigit():  # no separator (DIGITS matches digits and separators only)
        return float(token)
    parts = DIGIT_SEPARATORS.split(token)
    if len(parts) == 1:
        return float(parts[0])
    if all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")
    return None


def finite_float(value: int) -> float | None:
    """`value` as a float, or None when it is too large for one."""
    try:
        return float(value)
    except OverflowError:
        return None


def number_key(value: float) -> str:
    """The anchor key of a number (integers without a decimal point)."""
    return f"n:{int(value)}" if value == int(value) else f"n:{value:g}"


def find_numbers(text: str, profile: Profile) -> list[tuple[float, int, str]]:
    """Numbers as digits (decimals kept) or as the profile's number words: (value, start, text).

    Digit groups are read here; words ("Trois", "twenty-four", "36,2 millions") by
    `monitor.stations.numbers`, which reads them through the language profile.
    """
    found = []
    for match in DIGITS.finditer(text):
        value = parse_digits(match.group(0))
        if value is not None:
            found.append((value, match.start(), match.group(0)))
    for mention in profile_numbers(text, profile):
        if any(map(str.isalpha, mention.text)):
            value = finite_float(mention.value)
            if value is not None:
                found.append((value, mention.start, mention.text))
    return sorted(found, key=itemgetter(1))


def add_numbers(anchors: Anchors, text: str, profile: Profile,
                skip: list[tuple[int, int]]) -> None:
    """Counts and years outside the `skip` spans (dates); counts in the lead (first line) apart."""
    lead_end = text.find("\n", 40)
    lead_end = LEAD_CHARS if lead_end < 0 else min(lead_end, LEAD_CHARS)
    for value, start, surface in find_numbers(text, profile):
        if any(a <= start < b for a, b in skip):
            continue
        if value == int(value) and YEAR_MIN <= value <= YEAR_MAX and surface.isdigit():
            anchors.years.add(int(value))
            anchors.add(f"y:{int(value)}", surface)
        elif value >= 2:
            anchors.add(number_key(value), surface)
            if start < lead_end and value >= 3:
                anchors.lead_numbers.add(value)


def month_pattern(profile: Profile) -> re.Pattern[str] | None:
    """A regex matching a day next to one of the profile's month names."""
    return _month_regex(tuple(profile.months)) if profile.months else None


@functools.lru_cache(maxsize=64)
def _month_regex(months: tuple[str, ...]) -> re.Pattern[str]:
    """The month regex for these month names (compiled once per profile)."""
    names = "|".join(sorted((re.escape(m) for m in months), key=len, reverse=True))
    initials = "".join(sorted({re.escape(m[0]) for m in months}))
    # The look-ahead on the initial only spares the engine trying every name at every word.
    return re.compile(
        rf"\b(\d{{1,2}}){ORDINAL}\s+(?:\w{{1,3}}\s+)?({names})\b"
        rf"|\b(?=[{initials}])({names})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b",
        re.IGNORECASE,
    )


def add_dates(anchors: Anchors, text: str, profile: Profile) -> list[tuple[int, int]]:
    """Day-and-month dates (`May 1`, `1er mai`, `2021-05-01`) as `d:MM-DD`; returns the spans."""
    spans = []
    for match in ISO_DATE.finditer(text):
        anchors.add(f"d:{match.group(2)}-{match.group(3)}", match.group(0))
        anchors.add(f"y:{match.group(1)}", match.group(1))
        anchors.years.add(int(match.group(1)))
        spans.append(match.span())
    pattern = month_pattern(profile)
    # both ways of writing a date hold a day: without a digit the scan is spared
    for match in pattern.finditer(text) if pattern and DIGIT.search(text) else ():
        day = match.group(1) or match.group(4)
        month = profile.months.get((match.group(2) or match.group(3)).lower())
        if month and 1 <= int(day) <= 31:
            anchors.add(f"d:{month:02d}-{int(day):02d}", match.group(0))
            spans.append(match.span())
    return spans


def sentence_starts(text: str) -> set[int]:
    """Offsets where a sentence, line or list item begins."""
    starts = {0}
    for match in SENTENCE_BREAK.finditer(text):
        starts.add(match.end())
    return starts


class LowerWords:
    """The words of a text written in lower case (WORD matches opening with a lower-case
    letter), lower-cased; `in` looks a word up in the text instead of collecting them all."""

    def __init__(self, text: str) -> None:
        """Prepare the lookups in `text`."""
        self.text = text
        self.lowered = text.lower()
        self.known: dict[str, bool] = {}
        self.words: set[str] | None = None
        # `Σ` lowers by context, `İ` to two characters: lower-cased text would not match
        # position for position the words lowered one by one
        if len(self.lowered) != len(text) or "Σ" in text:
            self.words = {w.lower() for w in WORD.findall(text) if w[0].islower()}

    def __contains__(self, lowered_word: str) -> bool:
        """Whether `lowered_word` is one of the words written in lower case."""
        if self.words is not None:
            return lowered_word in self.words
        found = self.known.get(lowered_word)
        if found is None:
            found = self.known[lowered_word] = self._find(lowered_word)
        return found

    def _find(self, lowered_word: str) -> bool:
        """Whether a WORD match opening in lower case lowers to `lowered_word`."""
        text, end = self.text, len(lowered_word)
        at = self.lowered.find(lowered_word)
        while at >= 0:
            if text[at].islower():
                match = WORD_AT.match(text, at)
                if match and match.end() == at + end:
                    return True
            at = self.lowered.find(lowered_word, at + 1)
        return False


def is_name(word: str, start: int, lower_words: set[str] | LowerWords, starts: set[int]) -> bool:
    """A capitalised word, unless it opens a sentence and is also written in lower case."""
    if not word[0].isupper() or len(word) < 2:
        return False
    return not (start in starts and word.lower() in lower_words)


def name_runs(text: str) -> list[list[str]]:
    """Runs of adjacent name words on one line (initials such as `P.` are skipped).

    Only the words that may be names are visited (NAME_CANDIDATE): a lower-case word between
    two names breaks their run all the same, as NAME_GAP refuses the gap that holds it.
    """
    lower_words = LowerWords(text)
    starts = sentence_starts(text)
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = 0
    for match in NAME_CANDIDATE.finditer(text):
        word = match.group(0)
        if len(word) == 1 and word.isupper() and text.startswith(".", match.end()):
            continue
        if not is_name(word, match.start(), lower_words, starts):
            if current:
                runs.append(current)
            current = []
        elif current and NAME_GAP.fullmatch(text, last_end, match.start()):
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = [word]
        last_end = match.end()
    if current:
        runs.append(current)
    return runs


def add_names(anchors: Anchors, text: str) -> None:
    """Name tokens (`p:`) and adjacent name pairs (`b:`), folded to ASCII stems."""
    keys = anchors.keys  # written directly: each key is new here (transliterate new keys only)
    for run in name_runs(text):
        stems = list(map(stem, run))
        for word, key in zip(run, stems, strict=True):
            if len(key) >= 2 and "p:" + key not in keys:
                keys["p:" + key] = anyascii(word)
        for i in range(len(run) - 1):
            if len(stems[i]) >= 2 and len(stems[i + 1]) >= 2:
                pair = f"b:{stems[i]}_{stems[i + 1]}"
                if pair not in keys:
                    keys[pair] = anyascii(f"{run[i]} {run[i + 1]}")


def add_titles(anchors: Anchors, text: str) -> None:
    """Short quoted titles (operations, programmes, works) as `q:` keys."""
    for match in QUOTED.finditer(text):
        words = WORD.findall(match.group(1))
        if 1 <= len(words) <= TITLE_MAX_WORDS:
            key = "_".join(stem(w) for w in words)
            anchors.add(f"q:{key}", anyascii(match.group(1)))


def extract_anchors(text: str, title: str | None, profile: Profile,
                    published: str | None = None) -> Anchors:
    """All anchors of an article (title and text), read through its language profile: of the
    first MAX_TEXT_CHARS characters, at most MAX_ANCHORS."""
    body = f"{title}\n{text}" if title and not text.startswith(title) else text
    body = body[:MAX_TEXT_CHARS]
    anchors = Anchors()
    add_numbers(anchors, body, profile, add_dates(anchors, body, profile))
    add_names(anchors, body)
    add_titles(anchors, body)
    if len(anchors.keys) > MAX_ANCHORS:
        logger.debug("anchors: %d found, the first %d kept", len(anchors.keys), MAX_ANCHORS)
        anchors.keys = dict(itertools.islice(anchors.keys.items(), MAX_ANCHORS))
    if published and YEAR_PREFIX.match(published):
        anchors.years.add(int(published[:4]))
    return anchors
