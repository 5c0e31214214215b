"""Which publishers are official (the agencies themselves): data in official.yml."""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlsplit

import yaml

OFFICIAL_FILE = Path(__file__).with_name("official.yml")


@functools.cache
def official_suffixes() -> tuple[str, ...]:
    """The host suffixes of official publishers."""
    data = yaml.safe_load(OFFICIAL_FILE.read_text(encoding="utf-8")) or {}
    return tuple(str(s).lower().strip(".") for s in data.get("host_suffixes") or ())


def is_official(url: str | None) -> bool:
    """Whether `url` is published by an official body (by its host)."""
    host = (urlsplit(url or "").hostname or "").lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in official_suffixes())
