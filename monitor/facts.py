"""Facts station: operation name, counts of children, ages, agencies, places, dates."""

from __future__ import annotations

from typing import Any

from monitor.profiles import Profile


def extract_facts(text: str, profile: Profile) -> list[dict[str, Any]]:
    """Facts read from an operation report, each with the sentence it came from."""
    return []
