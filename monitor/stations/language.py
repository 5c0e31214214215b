"""Language station: langdetect, seeded, with confidence; picks the language profile."""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from monitor.stations.langdetect_fast import detect_langs
from monitor.stations.profiles import NEUTRAL, available, load_profile

logger = logging.getLogger(__name__)

# langdetect's model and algorithm, seeded; monitor.stations.langdetect_fast gives the same answers,
# bit for bit, as langdetect.detect_langs, for about half its CPU time or less.
DetectorFactory.seed = 0
UNDETERMINED = "und"
# langdetect reads this much of the text: accuracy at article length is the same as with
# 5,000 characters (benchmarks/language.py), and detection costs about half as much.
SAMPLE_CHARS = 2000
SAMPLE_CACHE = 1024  # samples remembered with their answer: at most ~8 MB
# A language hint (feed, sitemap, sources.yml) is a BCP 47 tag: a primary subtag of letters,
# then subtags of letters and digits joined by hyphens (`en`, `en-US`, `pt-BR`, `zh-Hant-TW`);
# `_` is read as `-`. Longer strings are not tags (the longest registered ones are 35 chars).
HINT_MAX_CHARS = 35
LANGUAGE_TAG = re.compile(r"([A-Za-z]{2,3})(?:-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class LanguageResult:
    """A detected language, how sure, how it was decided, and the profile it routes to."""

    language: str
    confidence: float
    method: str  # langdetect | hint | none
    profile: str

    @property
    def route(self) -> str:
        """The route stored with the article, e.g. `langdetect:fr`."""
        return f"{self.method}:{self.profile}"


def detect(text: str, hint: str | None = None, min_chars: int = 40,
           min_confidence: float = 0.80) -> LanguageResult:
    """Detect the language of `text`, falling back to `hint`, else `und`."""
    sample = text[:SAMPLE_CHARS]
    if has_letters(sample, min_chars):
        code, prob = _langdetect(sample)
        if code and prob >= min_confidence:
            return _routed(code, prob, "langdetect")
    language = hint_language(hint)
    if language:
        return _routed(language, 0.0, "hint")
    return LanguageResult(UNDETERMINED, 0.0, "none", NEUTRAL)


def hint_language(hint: Any) -> str | None:
    """The primary language of a hint that is a language tag the detector or the profiles
    know (`en-US` -> `en`), else None: any other value (a path, a list, a long string, an
    unknown code) is ignored."""
    if not isinstance(hint, str) or len(hint) > HINT_MAX_CHARS:
        return None
    tag = LANGUAGE_TAG.fullmatch(hint.strip().replace("_", "-"))
    if tag is None:
        return None
    primary = tag.group(1).lower()
    return primary if primary in known_languages() else None


@functools.cache
def known_languages() -> frozenset[str]:
    """The primary subtags langdetect's profiles (`zh-cn`: `zh`) or our profiles know."""
    detector = {name.split("-")[0].lower() for name in os.listdir(PROFILES_DIRECTORY)}
    return frozenset(detector | set(available()))


def has_letters(sample: str, count: int) -> bool:
    """Whether `sample` holds at least `count` letters (most texts say so in their opening)."""
    return (sum(map(str.isalpha, sample[:4 * count])) >= count
            or sum(map(str.isalpha, sample)) >= count)


@functools.lru_cache(maxsize=SAMPLE_CACHE)
def _langdetect(sample: str) -> tuple[str | None, float]:
    """langdetect's best language and its probability, or (None, 0).

    Seeded, so a function of the sample: syndicated copies of a story, which often begin
    with the same 2,000 characters, are detected once."""
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None, 0.0
    return best.lang.split("-")[0], round(best.prob, 4)


def _routed(code: str, confidence: float, method: str) -> LanguageResult:
    """A result for `code`, routed to its profile (or the neutral one)."""
    return LanguageResult(code, confidence, method, load_profile(code).code)
