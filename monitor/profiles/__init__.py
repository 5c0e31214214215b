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


@dataclass(frozen=True)
class Profile:
    """What the stations know about one language; `neutral` knows nothing language-specific."""

    code: str
    name: str
    number_words: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


def available() -> list[str]:
    """The language codes that have a profile file."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yml"))


@functools.cache
def load_profile(code: str) -> Profile:
    """The profile for ISO 639-1 `code`, or the neutral profile when there is none."""
    path = PROFILE_DIR / f"{code}.yml"
    if not path.exists():
        return Profile(code=NEUTRAL, name="language-neutral")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Profile(
        code=code,
        name=raw.get("name", code),
        number_words={str(k).lower(): int(v) for k, v in (raw.get("number_words") or {}).items()},
        months={str(k).lower(): int(v) for k, v in (raw.get("months") or {}).items()},
        terms={k: list(v) for k, v in (raw.get("terms") or {}).items()},
        data=raw,
    )
