"""Language-neutral story anchors: numbers, dates, years, names and quoted titles.

Two reports of one story in different words or languages still share the facts that do not
translate: counts, dates, the names of people, places, agencies and operations. Each anchor is a
key (`kind:value`) that reads the same in every language; names are folded to ASCII and cut to a
short stem so that inflected (Cyrillic) and transliterated spellings meet.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from anyascii import anyascii

from monitor.numbers import find_numbers as profile_numbers
from monitor.profiles import Profile

logger = logging.getLogger(__name__)

KINDS = ("number", "year", "date", "name", "pair", "title")
KIND_PREFIXES = {"n": "number", "y": "year", "d": "date", "p": "name", "b": "pair",
                 "q": "title"}
STEM_CHARS = 5
YEAR_MIN, YEAR_MAX = 1900, 2099
LEAD_CHARS = 400
TITLE_MAX_WORDS = 6

DIGITS = re.compile(r"(?<![\d.,])\d{1,3}(?:[,.\u00a0\u202f ’']\d{3})+(?:[.,]\d+)?(?!\d|[.,]\d)"
                    r"|(?<![\d.,])\d+(?:[.,]\d+)?(?!\d|[.,]\d)")
WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
SENTENCE_BREAK = re.compile(r"[.!?…:;]\s+|\n+|[•·▪\-–—]\s|[“«„\"]\s*")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
NAME_GAP = re.compile(r"[ \t\u00a0]+(?:[A-Z]\.[ \t\u00a0]*)*|-")
QUOTED = re.compile(r"[“«„\"]\s*([^“”«»„\"\n]{2,80}?)\s*[”»“\"]")
ORDINAL = r"(?:er|re|e|st|nd|rd|th|º|°|\.)?"


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


def stem(word: str) -> str:
    """A short spelling-tolerant key for a name token (Naval'nogo ~ Navalny ~ navalnyi)."""
    letters = re.sub(r"[^a-z]", "", fold(word))
    letters = letters.replace("x", "ks").replace("ph", "f").replace("ck", "k")
    letters = letters.translate(str.maketrans("yjw", "iiv"))
    letters = re.sub(r"(.)\1+", r"\1", letters)
    return letters[:STEM_CHARS]


def parse_digits(token: str) -> float | None:
    """The value of a digit group: `12,114` / `12.114` / `12 114` -> 12114, `36,2` -> 36.2."""
    parts = re.split(r"[,.\u00a0\u202f ’']", token)
    if len(parts) == 1:
        return float(parts[0])
    if all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")
    return None


def number_key(value: float) -> str:
    """The anchor key of a number (integers without a decimal point)."""
    return f"n:{int(value)}" if value == int(value) else f"n:{value:g}"


def find_numbers(text: str, profile: Profile) -> list[tuple[float, int, str]]:
    """Numbers as digits (decimals kept) or as the profile's number words: (value, start, text).

    Digit groups are read here; words ("Trois", "twenty-four", "36,2 millions") by
    `monitor.numbers`, which reads them through the language profile.
    """
    found = []
    for match in DIGITS.finditer(text):
        value = parse_digits(match.group(0))
        if value is not None:
            found.append((value, match.start(), match.group(0)))
    for mention in profile_numbers(text, profile):
        if any(ch.isalpha() for ch in mention.text):
            found.append((float(mention.value), mention.start, mention.text))
    return sorted(found, key=lambda f: f[1])


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
    if not profile.months:
        return None
    names = "|".join(sorted((re.escape(m) for m in profile.months), key=len, reverse=True))
    return re.compile(
        rf"\b(\d{{1,2}}){ORDINAL}\s+(?:\w{{1,3}}\s+)?({names})\b"
        rf"|\b({names})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b",
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
    for match in pattern.finditer(text) if pattern else ():
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


def is_name(word: str, start: int, lower_words: set[str], starts: set[int]) -> bool:
    """A capitalised word, unless it opens a sentence and is also written in lower case."""
    if not word[0].isupper() or len(word) < 2:
        return False
    return not (start in starts and word.lower() in lower_words)


def name_runs(text: str) -> list[list[str]]:
    """Runs of adjacent name words on one line (initials such as `P.` are skipped)."""
    lower_words = {w.group(0).lower() for w in WORD.finditer(text) if w.group(0)[0].islower()}
    starts = sentence_starts(text)
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = 0
    for match in WORD.finditer(text):
        word = match.group(0)
        if len(word) == 1 and word.isupper() and text[match.end():match.end() + 1] == ".":
            continue
        if not is_name(word, match.start(), lower_words, starts):
            if current:
                runs.append(current)
            current = []
        elif current and NAME_GAP.fullmatch(text[last_end:match.start()]):
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
    for run in name_runs(text):
        stems = [stem(w) for w in run]
        for word, key in zip(run, stems, strict=True):
            if len(key) >= 2:
                anchors.add(f"p:{key}", anyascii(word))
        for i in range(len(run) - 1):
            if len(stems[i]) >= 2 and len(stems[i + 1]) >= 2:
                anchors.add(f"b:{stems[i]}_{stems[i + 1]}", anyascii(f"{run[i]} {run[i + 1]}"))


def add_titles(anchors: Anchors, text: str) -> None:
    """Short quoted titles (operations, programmes, works) as `q:` keys."""
    for match in QUOTED.finditer(text):
        words = WORD.findall(match.group(1))
        if 1 <= len(words) <= TITLE_MAX_WORDS:
            key = "_".join(stem(w) for w in words)
            anchors.add(f"q:{key}", anyascii(match.group(1)))


def extract_anchors(text: str, title: str | None, profile: Profile,
                    published: str | None = None) -> Anchors:
    """All anchors of an article (title and text), read through its language profile."""
    body = f"{title}\n{text}" if title and not text.startswith(title) else text
    anchors = Anchors()
    add_numbers(anchors, body, profile, add_dates(anchors, body, profile))
    add_names(anchors, body)
    add_titles(anchors, body)
    if published and re.match(r"\d{4}", published):
        anchors.years.add(int(published[:4]))
    return anchors
