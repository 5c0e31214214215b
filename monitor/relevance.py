"""Relevance station: is this a report of a child-recovery operation?"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.profiles import Profile


@dataclass(frozen=True)
class Relevance:
    """The topic (operation | related | off_topic), a score and the terms that decided it."""

    topic: str
    score: float
    terms: list[str] = field(default_factory=list)

    @property
    def relevant(self) -> int:
        """1 exactly for operation reports."""
        return int(self.topic == "operation")


def classify(text: str, title: str | None, profile: Profile) -> Relevance:
    """Classify an article (placeholder until profiles carry the beat's vocabulary)."""
    return Relevance("off_topic", 0.0, [])
