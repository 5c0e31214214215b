"""A cluster match's evidence in a reviewer's words: the counts, operation, places and dates
both reports give, the names they share that tell a story apart, and any contradiction.

The stored evidence (dedup's JSON) keeps every shared anchor and score; this module only
chooses what a person reads. A shared number is shown when the facts station read it as a
count of children or an age in either report (a bare "911" or "2" says nothing); a shared
name when it has several words or is an acronym ("Missing", "Texas" match too many reports).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

CHILD_COUNTS = (("children_total", "children"), ("children_located", "located"),
                ("children_recovered", "recovered"), ("children_rescued", "rescued"))
ACRONYM = re.compile(r"[A-Z]{2,6}")
MAX_NAMES = 12

Facts = dict[str, list[str]]  # kind -> the values one article reports


def facts_by_article(facts: Iterable[dict[str, Any]]) -> dict[int, Facts]:
    """The facts rows grouped by article, then by kind, values as strings."""
    grouped: dict[int, Facts] = {}
    for fact in facts:
        values = grouped.setdefault(fact["article_id"], {}).setdefault(fact["kind"], [])
        if str(fact["value"]) not in values:
            values.append(str(fact["value"]))
    return grouped


def fold(text: str) -> str:
    """Lower case without accents, for comparing names across languages."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def telling_names(names: Iterable[Any]) -> list[str]:
    """The shared names that tell a story apart: several words, or an acronym (HSI)."""
    return [str(n) for n in names
            if len(str(n).split()) > 1 or ACRONYM.fullmatch(str(n))]


def readable(name: str) -> str:
    """A name as a person writes it ("LAS CRUCES" -> "Las Cruces"; acronyms kept)."""
    return name.title() if name.isupper() and len(name.split()) > 1 else name


def shared_numbers(evidence: dict[str, Any], a: Facts, b: Facts) -> set[str]:
    """The numbers both texts give, and the counts both reports' facts give."""
    numbers = {str(n) for n in evidence.get("numbers") or []}
    for kind, _ in CHILD_COUNTS:
        numbers |= set(a.get(kind, [])) & set(b.get(kind, []))
    return numbers


def counts_in_words(numbers: set[str], a: Facts, b: Facts) -> list[str]:
    """Shared numbers that are counts of children or ages, in words ("78 children")."""
    said = []
    for kind, label in CHILD_COUNTS:
        values = {v for v in a.get(kind, []) + b.get(kind, []) if v in numbers}
        said += [f"{v} {label}" for v in sorted(values, key=number_key, reverse=True)]
    ages = [next((v for v in a.get(k, []) + b.get(k, []) if v in numbers), None)
            for k in ("age_min", "age_max")]
    if ages[0] and ages[1]:
        said.append(f"aged {ages[0]} to {ages[1]}")
    return said


def number_key(value: str) -> float:
    """A fact value's number, for ordering (0 when it is not one)."""
    try:
        return float(value)
    except ValueError:
        return 0.0


def shown_numbers(evidence: dict[str, Any], a: Facts, b: Facts) -> list[str]:
    """The shared numbers a reviewer is shown: counts of children and ages."""
    numbers = shared_numbers(evidence, a, b)
    kinds = [k for k, _ in CHILD_COUNTS] + ["age_min", "age_max"]
    return sorted({v for k in kinds for v in a.get(k, []) + b.get(k, []) if v in numbers},
                  key=number_key, reverse=True)


def shared_operation(names: list[str], a: Facts, b: Facts) -> str | None:
    """The operation both reports name (same name, or a shared name inside both)."""
    for theirs in b.get("operation", []):
        for own in a.get("operation", []):
            if fold(own) == fold(theirs) or any(
                    fold(n) in fold(own) and fold(n) in fold(theirs) for n in names):
                return theirs
    return None


def shared_places(names: list[str], a: Facts, b: Facts) -> list[str]:
    """The shared names that either report gives as a place."""
    places = [fold(p) for p in a.get("place", []) + b.get("place", [])]
    return [readable(n) for n in names if any(fold(n) in p for p in places)]


def shared_agencies(names: list[str], places: list[str], a: Facts, b: Facts) -> list[str]:
    """The agencies both reports name, in full as the matched report writes them: for each
    shared name (not a place) inside an agency of each report, the shortest such agency of
    the matched one ("Marshals Service" -> "U.S. Marshals Service")."""
    found: list[str] = []
    placed = {fold(p) for p in places}
    for name in (fold(n) for n in names if fold(readable(n)) not in placed):
        own = [x for x in a.get("agency", []) if name in fold(x)]
        theirs = sorted((x for x in b.get("agency", []) if name in fold(x)), key=len)
        if own and theirs and theirs[0] not in found:
            found.append(theirs[0])
    return found


def day_month(value: str) -> str:
    """A shared "MM-DD" date as "1 May"."""
    month, _, day = value.partition("-")
    if month.isdigit() and day.isdigit() and 1 <= int(month) <= 12:
        return f"{int(day)} {calendar.month_name[int(month)]}"
    return value


def story_words(evidence: dict[str, Any], a: Facts, b: Facts) -> tuple[str, list[str]]:
    """Why two reports are one story, in a sentence; and the agencies and other telling names
    they share."""
    names = telling_names(list(evidence.get("titles") or []) + list(evidence.get("names") or []))
    operation = shared_operation(names, a, b)
    places = shared_places(names, a, b)
    shared = (counts_in_words(shared_numbers(evidence, a, b), a, b)
              + ([operation] if operation else []) + places
              + [day_month(str(d)) for d in evidence.get("dates") or []]
              + [str(y) for y in evidence.get("years") or []])
    agencies = shared_agencies(names, places, a, b)
    told = [fold(t) for t in places + agencies + ([operation] if operation else [])]
    others = agencies + [readable(n) for n in names if not any(fold(n) in t for t in told)]
    contradictions = evidence.get("contradictions") or []
    verdict = ("contradicts: " + "; ".join(map(str, contradictions)) if contradictions
               else "no contradiction")
    opening = "shares " + ", ".join(shared) if shared else "shares no count, place or date"
    return f"{opening}; {verdict}", others[:MAX_NAMES]


def match_words(method: str, evidence: dict[str, Any], a: Facts, b: Facts) -> tuple[str,
                                                                                   list[str]]:
    """A match of any method in words, with the other telling names it rests on."""
    if method == "url":
        return "the same page (same address)", []
    if method == "exact":
        return "the same text", []
    if method == "near_copy" and "jaccard" in evidence:
        words, names = story_words(evidence, a, b)
        return f"a near copy ({evidence['jaccard']:.0%} of its wording the same); {words}", names
    if method == "review":
        return f"merged in by {evidence.get('actor') or 'a reviewer'}", []
    return story_words(evidence, a, b)


def highlight_terms(evidence: dict[str, Any], a: Facts, b: Facts) -> list[str]:
    """What to mark in the two texts: shown numbers, telling names, titles and years."""
    names = telling_names(list(evidence.get("titles") or []) + list(evidence.get("names") or []))
    years = [str(y) for y in evidence.get("years") or []]
    return list(dict.fromkeys(shown_numbers(evidence, a, b) + names + years))
