"""Language profiles: per-language data (number words, months, beat vocabulary) as YAML files."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

PROFILE_DIR = Path(__file__).parent
NEUTRAL = "neutral"
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


def available() -> list[str]:
    """The language codes that have a profile file."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yml"))


@functools.cache
def load_profile(code: str) -> Profile:
    """The profile for ISO 639-1 `code`, or the neutral profile when there is none."""
    path = PROFILE_DIR / f"{code}.yml"
    if not path.exists():
        return neutral_profile()
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    return Profile(
        code=code,
        name=raw.get("name", code),
        number_words={str(k).lower(): int(v) for k, v in (raw.get("number_words") or {}).items()},
        months={str(k).lower(): int(v) for k, v in (raw.get("months") or {}).items()},
        terms={k: list(v) for k, v in (raw.get("terms") or {}).items()},
        data=raw,
        **_number_syntax(raw),
    )


@functools.cache
def neutral_profile() -> Profile:
    """The one profile of every language without a file (also `load_profile(NEUTRAL)`)."""
    return Profile(code=NEUTRAL, name="language-neutral")


def _number_syntax(raw: dict[str, Any]) -> dict[str, Any]:
    """The optional keys that say how numbers are written in this language."""
    syntax: dict[str, Any] = {
        "number_joiners": tuple(str(w).lower() for w in raw.get("number_joiners") or ()),
        "number_multipliers": tuple(str(w).lower() for w in raw.get("number_multipliers") or ()),
        "number_parts": {str(k).lower(): int(v)
                         for k, v in (raw.get("number_parts") or {}).items()},
        "number_compounds": bool(raw.get("number_compounds", False)),
        "number_teens_after": tuple(int(v) for v in raw.get("number_teens_after") or ()),
    }
    if "thousands_separators" in raw:
        syntax["thousands_separators"] = tuple(str(c) for c in raw["thousands_separators"])
    if "decimal_separator" in raw:
        syntax["decimal_separator"] = raw["decimal_separator"]
    return syntax
