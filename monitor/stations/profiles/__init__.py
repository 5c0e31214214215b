"""Language profiles: per-language data (number words, months, beat vocabulary) as YAML files.

What a library knows is generated, not typed: number words come from num2words (the cardinals
0-100, the hundreds and the powers of a thousand in the profile's language) and month names from
Babel's CLDR data (wide and abbreviated, in running text and standing alone). A profile's own
`number_words` and `months` add what the libraries lack (colloquial forms, old spellings).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).parent
NEUTRAL = "neutral"
# A profile's code: an ISO 639 code, two or three lower-case letters. Any other string (a path,
# a list, a 300-character hint) loads nothing: the profile folder is the only source.
PROFILE_CODE = re.compile(r"[a-z]{2,3}")
# libyaml's parser when PyYAML was built with it: the same data as yaml.safe_load, faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Profile:
    """What the stations know about one language; `neutral` knows nothing language-specific."""

    code: str
    name: str
    number_words: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    number_joiners: tuple[str, ...] = ()  # "and" in "one hundred and five", "y", "e", "et"
    number_multipliers: tuple[str, ...] = ()  # words besides 100, 1000... that multiply: "dozen"
    number_parts: dict[str, int] = field(default_factory=dict)  # only inside compound words
    number_compounds: bool = False  # numbers written as one word: "vierundzwanzig"
    number_teens_after: tuple[int, ...] = ()  # tens that take 10..19 after them: soixante-dix
    thousands_separators: tuple[str, ...] = (",", ".", "\u00a0", "\u202f", "'")
    decimal_separator: str | None = None
    unspaced: bool = False  # written without spaces between words (Chinese, Japanese)


def available() -> list[str]:
    """The language codes that have a profile file."""
    return sorted(_profile_codes())


@functools.cache
def _profile_codes() -> frozenset[str]:
    """The codes of the profile files (read once: the folder ships with the code)."""
    return frozenset(p.stem for p in PROFILE_DIR.glob("*.yml") if PROFILE_CODE.fullmatch(p.stem))


def load_profile(code: str) -> Profile:
    """The profile for ISO 639-1 `code`, or the neutral profile when there is none.

    Only a code of 2-3 lower-case letters that names a file of the profile folder loads one;
    anything else (a path, a list, a long or unknown string) gets the neutral profile and is
    not remembered, so the cache holds at most one profile per file."""
    if not isinstance(code, str) or not PROFILE_CODE.fullmatch(code) \
            or code not in _profile_codes():
        return neutral_profile()
    return _load_profile(code)


@functools.cache
def lending_codes() -> list[str]:
    """The profiles whose terms also serve languages without a profile (`neutral_terms`),
    read from the files alone (building every profile's number words would cost ~0.3 s)."""
    return [code for code in available() if _profile_data(code).get("neutral_terms")]


@functools.cache
def _profile_data(code: str) -> dict[str, Any]:
    """The parsed file of a profile."""
    path = PROFILE_DIR / f"{code}.yml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}


@functools.cache
def _load_profile(code: str) -> Profile:
    """The profile of a code that has a file in the profile folder, read once."""
    raw = _profile_data(code)
    number_lang = raw.get("num2words", code)
    cldr = raw.get("cldr", code)
    return Profile(
        code=code,
        name=raw.get("name", code),
        number_words=generated_number_words(number_lang) | {
            str(k).lower(): int(v) for k, v in (raw.get("number_words") or {}).items()},
        months=generated_months(cldr) | {
            str(k).lower(): int(v) for k, v in (raw.get("months") or {}).items()},
        terms={k: list(v) for k, v in (raw.get("terms") or {}).items()},
        data=raw,
        **_number_syntax(raw),
    )


@functools.cache
def neutral_profile() -> Profile:
    """The one profile of every language without a file (also `load_profile(NEUTRAL)`)."""
    return Profile(code=NEUTRAL, name="language-neutral")


GENERATED_NUMBERS = [*range(101), *range(200, 1000, 100), 1000, 10**6, 10**9]
MONTH_FORMS = [(width, context) for width in ("wide", "abbreviated")
               for context in ("format", "stand-alone")]


@functools.cache
def generated_number_words(lang: str | None) -> dict[str, int]:
    """Cardinal words num2words knows in `lang` (none when it does not know the language);
    the last word of a power of a thousand stands for it alone ("one thousand": "thousand")."""
    if not lang:
        return {}
    from num2words import num2words  # only profiles need it

    words: dict[str, int] = {}
    try:
        for value in GENERATED_NUMBERS:
            spelled = " ".join(num2words(value, lang=lang).lower().replace(",", " ").split())
            words.setdefault(spelled, value)
            if value >= 1000 and " " in spelled:
                words.setdefault(spelled.rsplit(" ", 1)[1], value)
    except NotImplementedError:
        logger.debug("num2words has no language %s", lang)
        return {}
    return words


@functools.cache
def generated_months(locale: str | None) -> dict[str, int]:
    """Month names of CLDR `locale` (Babel), lower case, without a closing dot; names written
    with digits (`3月`) are left out, as they are no words."""
    if not locale:
        return {}
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_month_names

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        logger.debug("CLDR has no locale %s", locale)
        return {}
    months: dict[str, int] = {}
    for width, context in MONTH_FORMS:
        for number, name in get_month_names(width, context, locale).items():
            name = name.lower().rstrip(".")
            if name and not any(c.isdigit() for c in name):
                months.setdefault(name, number)
    return months


def _number_syntax(raw: dict[str, Any]) -> dict[str, Any]:
    """The optional keys that say how numbers are written in this language."""
    syntax: dict[str, Any] = {
        "number_joiners": tuple(str(w).lower() for w in raw.get("number_joiners") or ()),
        "number_multipliers": tuple(str(w).lower() for w in raw.get("number_multipliers") or ()),
        "number_parts": {str(k).lower(): int(v)
                         for k, v in (raw.get("number_parts") or {}).items()},
        "number_compounds": bool(raw.get("number_compounds", False)),
        "number_teens_after": tuple(int(v) for v in raw.get("number_teens_after") or ()),
        "unspaced": bool(raw.get("unspaced", False)),
    }
    if "thousands_separators" in raw:
        syntax["thousands_separators"] = tuple(str(c) for c in raw["thousands_separators"])
    if "decimal_separator" in raw:
        syntax["decimal_separator"] = raw["decimal_separator"]
    return syntax
