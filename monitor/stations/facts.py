"""Facts station: operation name, counts of children, ages, agencies, places, dates.

Kinds: operation, children_total, children_recovered, children_located, children_rescued,
arrests, age_min, age_max, agency (one row each), place (one row each), start_date, end_date,
duration_days. Each fact is {"kind", "value", "evidence"}: counts, ages and durations are
ints, dates ISO strings, the rest text; `evidence` is the sentence the value came from.

Counts follow the text: a count of children whose clause names two kinds ("recovered or
located") or only a generic word ("found") is a total; a count naming one kind is that kind,
unless it is the sum of two other counts ("78 located" = 3 recovered + 75 located: a total)
or the text elsewhere gives the same number for several kinds. No total is computed by
adding numbers up; approximate counts ("over 60 children") are used only when no exact
count exists.

Bounded whatever the page: the first MAX_TEXT_CHARS characters are read, at most MAX_COUNTS
counts of children are compared (the sum check is quadratic in them) and at most
MAX_SENTENCE_NUMBERS numbers of a sentence are read as parts of a group.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from monitor.stations.extraction import find_text_date
from monitor.stations.numbers import NumberMention, find_numbers
from monitor.stations.profiles import Profile
from monitor.stations.relevance import (
    ANALYSED_CHARS,
    CLAUSE_BREAK,
    KINDS,
    WEAK_KINDS,
    YEAR,
    ChildCount,
    Vocabulary,
    child_counts,
    in_proper_name,
    sentence_spans,
    vocabulary,
)
from monitor.stations.text import fold

logger = logging.getLogger(__name__)

CAPITALISED = r"(?:[A-ZÀ-ÝĀ-Ž][\w&.-]*(?:['’][A-Za-z]+)?)"
EDITION = re.compile(r"[IVX]{1,5}|\d{1,4}")
NAME_SPACE = r"[^\S\r\n]+"  # a name never runs across a line break (title / body, dateline)
MAX_NAME_WORDS = 6
MAX_ROWS = 15
EVIDENCE_CHARS = 400
CUE_GAP_WORDS = 6
LATE_DAYS = 92  # a date without a year is rarely this long after its report
PART_GAP_WORDS = 3  # "22 [were later safely] recovered"
# What a page can make this station do (a page of numbers must not stall a crawl).
# Facts are read from the first MAX_TEXT_CHARS characters (relevance.ANALYSED_CHARS): an
# article states its counts long before that.
MAX_TEXT_CHARS = ANALYSED_CHARS
# Counts of children considered, the first ones in the text: real reports give fewer than 20;
# the sum check and the kinds' comparison are quadratic in this number.
MAX_COUNTS = 200
# Numbers of one sentence read as parts of a group ("Of the 31 children, 22 ..."): the first.
MAX_SENTENCE_NUMBERS = 100
DATELINE = re.compile(
    r"^\s*([A-ZÀ-Ý][A-ZÀ-Ý .'’-]{2,}?,\s*[A-ZÀ-Ý][\w.]*(?:\s[A-ZÀ-Ý][\w.]*)?)\s*[(—–-]")
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
Fact = dict[str, Any]


def extract_facts(text: str, profile: Profile, published: str | None = None,
                  title: str | None = None) -> list[Fact]:
    """Facts read from an operation report, each with the sentence it came from.

    `published` (ISO date) dates day-and-month mentions that have no year ("May 1"); the
    operation's name is also looked for in `title`, a line of its own before the text.
    Only the first MAX_TEXT_CHARS characters of `text` are read.
    """
    text = text[:MAX_TEXT_CHARS]
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    facts: list[Fact] = []
    facts += operation_name(with_title(text, title)[:MAX_TEXT_CHARS], profile)
    facts += children(text, profile)
    facts += arrests(sentences, profile)
    facts += ages(sentences, profile)
    facts += agencies(sentences, profile)
    facts += places(text, sentences, profile)
    facts += dates(sentences, profile, published or find_text_date(text, _languages(profile)))
    return facts


def with_title(text: str, title: str | None) -> str:
    """The title as the first line of the text, unless the text already starts with it."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


def fact(kind: str, value: Any, evidence: str) -> Fact:
    """One facts row."""
    return {"kind": kind, "value": value, "evidence": " ".join(evidence.split())[:EVIDENCE_CHARS]}


def _languages(profile: Profile) -> list[str] | None:
    """dateparser languages for the profile (None: let dateparser guess)."""
    return [profile.code] if profile.months else None


def _sentence_at(text: str, pos: int) -> str:
    """The sentence of `text` that holds position `pos`."""
    for start, end in sentence_spans(text):
        if start <= pos < end:
            return text[start:end]
    return text[max(0, pos - 100): pos + 100]


# ----- operation name -----


def operation_name(text: str, profile: Profile) -> list[Fact]:
    """The operation's name as written; the most often named one if there are several."""
    config = profile.data.get("operation_names") or {}
    heads = [h for h in config.get("heads", []) if h]
    if not heads:
        return []
    head = "(?i:" + "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True)) + ")"
    connectors = _alternation(profile.terms.get("name_connectors", []))
    word = (rf"{CAPITALISED}(?:{NAME_SPACE}(?:{connectors}){NAME_SPACE}{CAPITALISED})*"
            if connectors else CAPITALISED)
    after = re.compile(rf"(?<!\w){head}(?!\w)((?:{NAME_SPACE}{word}){{1,{MAX_NAME_WORDS}}})")
    names = [(m.start(), m.group(0)) for m in after.finditer(text) if m.group(1).strip()]
    if config.get("name_before_head"):
        names += _names_before_head(text, heads, word, config.get("stopwords", []))
    names = [(pos, _strip_period(n)) for pos, n in names if not _all_months(n, profile)]
    if not names:
        return []
    counts: dict[str, int] = {}
    for _, name in names:
        counts[fold(name)] = counts.get(fold(name), 0) + 1
    pos, best = max(names, key=lambda item: (counts[fold(item[1])], -item[0]))
    pos, best = next(((p, n) for p, n in names if _is_edition(n, best)), (pos, best))
    return [fact("operation", best.strip(), _sentence_at(text, pos))]


def _is_edition(name: str, base: str) -> bool:
    """Whether `name` is `base` with an edition number ("Operation Northern Spotlight VII")."""
    return name.startswith(base + " ") and EDITION.fullmatch(name[len(base) + 1:]) is not None


def _names_before_head(text: str, heads: list[str], word: str,
                       stopwords: list[str]) -> list[tuple[int, str]]:
    """English-style names: capitalised words before a capitalised head ("... Rescue Operation")."""
    capital_heads = "|".join(re.escape(h[:1].upper() + h[1:]) for h in heads)
    pattern = re.compile(
        rf"((?:{CAPITALISED}{NAME_SPACE}){{2,{MAX_NAME_WORDS}}})(?:{capital_heads})(?!\w)")
    stop = {s.lower() for s in stopwords}
    found = []
    for match in pattern.finditer(text):
        words = match.group(1).split()
        while words and words[0].lower() in stop:
            words.pop(0)
        if len(words) >= 2:
            found.append((match.start(), " ".join(words) + " " + text[match.end(1):match.end()]))
    return found


def _all_months(name: str, profile: Profile) -> bool:
    """True for "Operation May"-like captures made only of month names."""
    words = fold(name).split()[1:]
    return bool(words) and all(w.strip(".") in profile.months for w in words)


def _alternation(words: list[str]) -> str:
    """A regex alternation of literal words."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# ----- children -----


def children(text: str, profile: Profile) -> list[Fact]:
    """children_total and children_<kind> as the text states them."""
    counts = considered_counts(text, profile)
    pairs = group_parts(text, profile, counts)
    groups, parts = [g for g, _ in pairs], [p for _, p in pairs]
    exact = [c for c in counts + parts if not c.approximate] or counts
    general = [c for c in exact if _specific(c) is None or c in groups]
    single = [c for c in exact if c not in general]
    sums = [c for c in single if _is_sum(c, single) or _named_twice(c, single)]
    totals = general + sums
    rows: list[Fact] = []
    total = max(totals, key=lambda c: c.value) if totals else None
    by_kind: dict[str, list[ChildCount]] = {}
    for count in single:
        if count not in sums and not any(g.value == count.value for g in general):
            by_kind.setdefault(_specific(count) or "", []).append(count)
    if total is None and len(by_kind) == 1:
        total = max(next(iter(by_kind.values())), key=lambda c: c.value)
    if total is not None:
        rows.append(fact("children_total", total.value, total.sentence))
    for kind in KINDS[:3]:
        fitting = [c for c in by_kind.get(kind, []) if total is None or c.value <= total.value]
        if fitting:
            best = max(fitting, key=lambda c: c.value)
            rows.append(fact(f"children_{kind}", best.value, best.sentence))
    return rows


def considered_counts(text: str, profile: Profile) -> list[ChildCount]:
    """The counts of children the station compares: the first MAX_COUNTS of those naming a
    kind other than a weak one ("identified")."""
    counts = [c for c in child_counts(text, profile) if c.kinds - WEAK_KINDS]
    if len(counts) > MAX_COUNTS:
        logger.debug("facts: %d counts of children, the first %d considered",
                     len(counts), MAX_COUNTS)
    return counts[:MAX_COUNTS]


def group_parts(text: str, profile: Profile,
                counts: list[ChildCount]) -> list[tuple[ChildCount, ChildCount]]:
    """(group, part): a count split by numbers after it ("Of the 31 children, 22 were ...")."""
    parts: list[tuple[ChildCount, ChildCount]] = []
    by_start = sorted(counts, key=lambda c: c.start)
    starts = [c.start for c in by_start]
    for start, end in sentence_spans(text):
        groups = by_start[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]
        if groups:
            parts += _parts_in(text[start:end], start, groups, profile)
    return parts


def _parts_in(sentence: str, offset: int, counts: list[ChildCount],
              profile: Profile) -> list[tuple[ChildCount, ChildCount]]:
    """The parts of the groups among `counts` (in `sentence`, at `offset` of the text)."""
    folded, vocab = fold(sentence), vocabulary(profile)
    mentions = find_numbers(sentence, profile)[:MAX_SENTENCE_NUMBERS]
    groups = [c for c in counts if _kindless(folded, c.start - offset, c.end - offset,
                                             mentions, vocab)]
    parts = []
    for i, mention in enumerate(mentions):
        at = offset + mention.start
        group = next((g for g in reversed(groups) if g.end <= at), None)
        if group is None or mention.value >= group.value or YEAR.fullmatch(mention.text) \
                or any(c.start <= at < c.end for c in counts) \
                or not CLAUSE_BREAK.search(folded, group.end - offset, mention.start):
            continue  # a part follows its group's clause: "Of the 31 children, 22 ..."
        stop = mentions[i + 1].start if i + 1 < len(mentions) else len(sentence)
        kind = _part_kind(folded[mention.end:stop], vocab)
        if kind:
            parts.append((group, ChildCount(mention.value, at, offset + mention.end,
                                            mention.text, sentence, frozenset({kind}), False)))
    return parts


def _kindless(folded: str, start: int, end: int, mentions: list[NumberMention],
              vocab: Vocabulary) -> bool:
    """Whether a count's clause, up to the next number, names no kind ("Of the 31 children,")."""
    stop = next((m.start for m in mentions if m.start >= end), len(folded))
    left = max((m.end() for m in CLAUSE_BREAK.finditer(folded, 0, start)), default=0)
    right = CLAUSE_BREAK.search(folded, end, stop)
    clause = folded[left:start] + " " + folded[end:right.start() if right else stop]
    return not any(vocab.has(kind, clause) for kind in KINDS)


def _part_kind(after: str, vocab: Vocabulary) -> str | None:
    """The one kind named a few words after a number, in its clause ("22 were recovered")."""
    clause = CLAUSE_BREAK.split(after, maxsplit=1)[0]
    kinds = {kind: match for kind in KINDS[:3] if (match := _search(vocab, kind, clause))
             and len(clause[:match.start()].split()) <= PART_GAP_WORDS}
    if len(kinds) != 1:
        return None
    kind, match = kinds.popitem()
    gap = clause[:match.start()]
    return None if vocab.has("count_blockers", gap) or vocab.has("people", gap) else kind


def _search(vocab: Vocabulary, group: str, folded: str) -> re.Match[str] | None:
    """The first term of `group` in folded text."""
    pattern = vocab.patterns.get(group)
    return pattern.search(folded) if pattern else None


def _specific(count: ChildCount) -> str | None:
    """The one specific kind (recovered/located/rescued) a count names alone, else None."""
    return next(iter(count.kinds)) if len(count.kinds) == 1 and "found" not in count.kinds \
        else None


def _named_twice(count: ChildCount, others: list[ChildCount]) -> bool:
    """True when the same number is given for another kind ("recovered 27" ... "the 27 ...
    located"): it is the whole group, not one kind."""
    return any(c.value == count.value and c.kinds != count.kinds for c in others)


def _is_sum(count: ChildCount, others: list[ChildCount]) -> bool:
    """True when two other counts of different kinds add up to this one.

    Linear in `others`: each smaller count looks its complement up by value (a pair of the
    same kinds does not count, so the complement is never the count itself)."""
    rest = [c for c in others if c is not count and c.value < count.value]
    kinds_by_value: dict[int, set[frozenset[str]]] = {}
    for other in rest:
        kinds_by_value.setdefault(other.value, set()).add(other.kinds)
    return any(any(kinds != a.kinds for kinds in kinds_by_value.get(count.value - a.value, ()))
               for a in rest)


# ----- arrests -----


def arrests(sentences: list[str], profile: Profile) -> list[Fact]:
    """The largest number of arrests the text reports."""
    vocab = vocabulary(profile)
    best: tuple[int, str] | None = None
    for sentence in sentences:
        folded = fold(sentence)
        if not vocab.has("arrest", folded):
            continue
        for mention in find_numbers(sentence, profile):
            if _is_arrest_count(folded, mention.start, mention.end, vocab) and (
                    best is None or mention.value > best[0]):
                best = (mention.value, sentence)
    return [fact("arrests", best[0], best[1])] if best else []


def _is_arrest_count(folded: str, start: int, end: int, vocab: Vocabulary) -> bool:
    """"12 arrests", "15 people were arrested", "arrested 12 suspects"."""
    after = re.split(r"[,;:.()]", folded[end:end + 60])[0]
    words_after = after.split()[:4]
    if vocab.has("arrest", " ".join(words_after)) and not vocab.has("child", " ".join(
            words_after[:2])):
        return True
    before = re.split(r"[,;:.()]", folded[max(0, start - 40):start])[-1].split()[-3:]
    return vocab.has("arrest", " ".join(before)) and vocab.has("people", " ".join(
        words_after[:3]))


# ----- ages -----


def digits_for_words(sentence: str, profile: Profile) -> str:
    """The folded sentence with every number written as digits ("two-month" -> "2-month")."""
    out, last = [], 0
    for mention in find_numbers(sentence, profile):
        out += [sentence[last:mention.start], str(mention.value)]
        last = mention.end
    return fold("".join(out) + sentence[last:])


_COMPILED: dict[tuple[int, str], tuple[Profile, Any]] = {}


def _per_profile(profile: Profile, key: str, build: Callable[[], Any]) -> Any:
    """`build()` once per profile object and key (patterns compiled from profile data)."""
    cached = _COMPILED.get((id(profile), key))
    if cached is None or cached[0] is not profile:
        cached = (profile, build())
        _COMPILED[(id(profile), key)] = cached
    return cached[1]


def _patterns(profile: Profile, name: str) -> list[re.Pattern[str]]:
    """The profile's regular expressions called `name`, folded and compiled (once)."""
    return _per_profile(profile, f"patterns:{name}", lambda: _compile_patterns(profile, name))


def _compile_patterns(profile: Profile, name: str) -> list[re.Pattern[str]]:
    """The profile's regular expressions called `name`, folded and compiled."""
    return [re.compile(_unaccent(p)) for p in (profile.data.get("patterns") or {}).get(name, [])]


def _unaccent(pattern: str) -> str:
    """A regex without accents (matched against folded text); its syntax untouched."""
    decomposed = unicodedata.normalize("NFKD", pattern)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def ages(sentences: list[str], profile: Profile) -> list[Fact]:
    """age_min and age_max from the first age range the text gives (asides in brackets skipped)."""
    patterns = _patterns(profile, "age_range")
    for sentence in sentences:
        normalised = re.sub(r"\s*\([^)]*\)", "", digits_for_words(sentence, profile))
        for pattern in patterns:
            match = pattern.search(normalised)
            if match:
                low, high = sorted(int(g) for g in match.groups()[:2])
                if high <= 25:
                    return [fact("age_min", low, sentence), fact("age_max", high, sentence)]
    return []


# ----- agencies and places -----


def _name_pattern(connectors: list[str]) -> re.Pattern[str]:
    """Runs of capitalised words, joined by lower-case connectors."""
    joined = rf"\s+(?:(?:{_alternation(connectors)})\s+)*" if connectors else r"\s+"
    return re.compile(rf"(?<![\w.]){CAPITALISED}(?:{joined}{CAPITALISED})*")


def agencies(sentences: list[str], profile: Profile) -> list[Fact]:
    """Named agencies: capitalised names holding an agency word ("Las Cruces Police Department")."""
    vocab = vocabulary(profile)
    pattern = _per_profile(profile, "names", lambda: _name_pattern(
        profile.terms.get("name_connectors", [])))
    rows: dict[str, Fact] = {}
    aliases: set[str] = set()
    for sentence in sentences:
        for match in pattern.finditer(sentence):
            name = _trim_name(match.group(0), profile)
            alias = re.match(r"\s*\(([A-Z][A-Za-z-]{1,9})\)", sentence[match.end():])
            if alias and " " in name:
                aliases.add(fold(alias.group(1)))
            if name and _is_agency(name, vocab) and fold(name) not in rows:
                rows[fold(name)] = fact("agency", name, sentence)
    initials = {_initials(row["value"]) for row in rows.values() if " " in row["value"]}
    return [row for key, row in rows.items()
            if key not in aliases and key not in initials][:MAX_ROWS]


def _trim_name(name: str, profile: Profile) -> str:
    """A capitalised run without leading articles/stopwords or trailing connectors."""
    words = name.split()
    drop = {fold(w) for w in profile.terms.get("place_articles", [])} | {
        fold(w) for w in (profile.data.get("operation_names") or {}).get("stopwords", [])}
    while words and fold(words[0]) in drop:
        words.pop(0)
    connectors = {fold(w) for w in profile.terms.get("name_connectors", [])}
    while words and fold(words[-1]) in connectors:
        words.pop()
    return _strip_period(" ".join(words))


def _strip_period(name: str) -> str:
    """Drop a sentence's full stop from a name, keeping abbreviations ("U.S.", "N.M.")."""
    last = name.split()[-1] if name else ""
    return name[:-1] if last.endswith(".") and "." not in last[:-1] else name


def _is_agency(name: str, vocab: Vocabulary) -> bool:
    """A multi-word name with an agency word, or an acronym that is one ("FBI")."""
    if " " not in name:
        return name.isupper() and len(name) > 1 and vocab.has("agency_heads", fold(name))
    return vocab.has("agency_heads", fold(name))


def _initials(name: str) -> str:
    """Folded initials of the capitalised words ("Homeland Security Investigations" -> hsi)."""
    return fold("".join(w[0] for w in name.split() if w[:1].isupper()))


def places(text: str, sentences: list[str], profile: Profile) -> list[Fact]:
    """The dateline place and the places introduced by a preposition ("in Dona Ana County")."""
    vocab = vocabulary(profile)
    rows: dict[str, Fact] = {}
    dateline = DATELINE.match(text)
    if dateline:
        rows[fold(dateline.group(1))] = fact("place", dateline.group(1).strip(),
                                              sentences[0] if sentences else "")
    pattern = _per_profile(profile, "places", lambda: _place_pattern(profile))
    if pattern is None:
        return list(rows.values())
    for sentence in sentences:
        for match in pattern.finditer(sentence):
            name = _strip_period(match.group("name"))
            if _is_place(name, sentence, match.start("name"), profile, vocab) \
                    and fold(name) not in rows:
                rows[fold(name)] = fact("place", name, sentence)
    return list(rows.values())[:MAX_ROWS]


def _place_pattern(profile: Profile) -> re.Pattern[str] | None:
    """A preposition, optional article and place noun, then a capitalised name."""
    terms = profile.terms
    if not terms.get("place_prepositions"):
        return None
    connectors = terms.get("place_connectors", [])
    joined = rf"\s+(?:(?:{_alternation(connectors)})\s+)?" if connectors else r"\s+"
    articles = _alternation(terms.get("place_articles", []))
    nouns = _alternation(terms.get("place_nouns", []))
    return re.compile(
        rf"(?<!\w)(?i:{_alternation(terms['place_prepositions'])})\s+"
        + (rf"(?:(?:{articles})\s+|(?:{articles})(?<=')\s*)?" if articles else "")
        + (rf"(?:(?:{nouns})\s+)?" if nouns else "")
        + rf"(?P<name>{CAPITALISED}(?:[- ]{CAPITALISED}|{joined}{CAPITALISED})*)")


def _is_place(name: str, sentence: str, start: int, profile: Profile, vocab: Vocabulary) -> bool:
    """Not a month, a number, an agency, a beat phrase or a listed non-place; not a heading."""
    folded = fold(name)
    first = folded.split()[0].strip(".")
    if first in profile.months or first.isdigit() or name.isupper() and len(name) <= 5:
        return False
    if vocab.has("agency_heads", folded) or vocab.has("missing", folded) \
            or vocab.has("child", folded) or vocab.has("operation", folded) \
            or vocab.has("not_places", folded):
        return False
    return not in_proper_name(sentence, start - 3, start - 1) if start >= 3 else True


# ----- dates -----


def dates(sentences: list[str], profile: Profile, base: str | None) -> list[Fact]:
    """start_date, end_date (when the text states them) and duration_days."""
    rows: list[Fact] = []
    date_pattern = _per_profile(profile, "dates", lambda: _date_pattern(profile))
    vocab = vocabulary(profile)
    for kind, cue in (("start_date", "start_cues"), ("end_date", "end_cues")):
        found = _cued_date(sentences, profile, vocab, cue, date_pattern, base)
        if found:
            rows.append(fact(kind, found[0], found[1]))
    duration = _duration(sentences, profile)
    if duration:
        rows.append(fact("duration_days", duration[0], duration[1]))
    return rows


def _date_pattern(profile: Profile) -> re.Pattern[str]:
    """Day-month(-year), month-day(-year) and ISO dates, in folded text."""
    months = _alternation([fold(m) for m in profile.months])
    if not months:
        return re.compile(ISO_DATE)
    return re.compile(
        rf"{ISO_DATE}"
        rf"|\d{{1,2}}(?:er|st|nd|rd|th|o|º)?\.?\s+(?:de\s+)?(?:{months})(?!\w)\.?"
        rf"(?:,?\s+(?:de\s+)?\d{{4}})?"
        rf"|(?:{months})(?!\w)\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d)(?:,?\s+\d{{4}})?")


def _range_day_pattern(profile: Profile) -> re.Pattern[str]:
    """A bare day, then an end cue or a dash, opening a range ("3 al", "3 to", "3-")."""
    end_cues = vocabulary(profile).patterns.get("end_cues")
    cue = rf"|\s+(?:{end_cues.pattern})" if end_cues else ""
    return re.compile(rf"^\s*(\d{{1,2}})(?:er|st|nd|rd|th|o|º)?\.?(?:\s*[-–]{cue})\s*$")


def _cued_date(sentences: list[str], profile: Profile, vocab: Vocabulary, cue_group: str,
               date_pattern: re.Pattern[str], base: str | None) -> tuple[str, str] | None:
    """The first date shortly after a cue ("started on May 1"; "del 3 al 17 de noviembre": 3)."""
    cues = vocab.patterns.get(cue_group)
    if cues is None:
        return None
    for sentence in sentences:
        folded = fold(sentence)
        for cue in cues.finditer(folded):
            tail = re.split(r"[;:()]|,\s", folded[cue.end():cue.end() + 80])[0]
            match = date_pattern.search(tail)
            if match and len(tail[:match.start()].split()) <= CUE_GAP_WORDS:
                parsed = _parse_date(match.group(0), profile, base)
                if parsed and cue_group == "start_cues":
                    parsed = _range_opening(tail[:match.start()], parsed, profile)
                if parsed:
                    return parsed, sentence
    return None


def _range_opening(gap: str, closing: str, profile: Profile) -> str | None:
    """The day `gap` opens a range with ("3 al" + 17 Nov: 3 Nov), else `closing` (no range)."""
    day = _per_profile(profile, "range_day", lambda: _range_day_pattern(profile)).match(gap)
    if day is None:
        return closing
    end = date.fromisoformat(closing)
    return end.replace(day=int(day.group(1))).isoformat() if int(day.group(1)) < end.day \
        else None


def _parse_date(written: str, profile: Profile, base: str | None) -> str | None:
    """An ISO date through dateparser; without a year, near `base` (publication), else None."""
    import dateparser  # on first use: ~0.05 s of start-up most articles never need
    has_year = re.search(r"\d{4}", written) is not None
    if not has_year and not base:
        return None
    settings: dict[str, Any] = {"REQUIRE_PARTS": ["day", "month"],
                                "PREFER_DATES_FROM": "current_period"}
    if base:
        settings["RELATIVE_BASE"] = datetime.fromisoformat(base[:10])
    cleaned = re.sub(r"(?<=\d)(?:er|st|nd|rd|th|o|º)\b", "", written)
    parsed = dateparser.parse(cleaned, languages=_languages(profile), settings=settings)
    if parsed is None:
        return None
    if has_year or not base:
        return parsed.date().isoformat()
    return _not_long_after(parsed.date(), date.fromisoformat(base[:10])).isoformat()


def _not_long_after(day: date, published: date) -> date:
    """`day` a year earlier when it falls months after publication ("December 28" in January)."""
    if (day - published).days <= LATE_DAYS:
        return day
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day


def _duration(sentences: list[str], profile: Profile) -> tuple[int, str] | None:
    """The operation's length in days ("two-month operation" -> 60)."""
    units = {fold(str(k)): int(v) for k, v in (profile.data.get("duration_units") or {}).items()}
    patterns = _patterns(profile, "duration")
    for sentence in sentences:
        normalised = digits_for_words(sentence, profile)
        for pattern in patterns:
            match = pattern.search(normalised)
            if not match:
                continue
            unit = next((v for k, v in units.items() if match.group("unit").startswith(k)), None)
            if unit:
                return int(match.group("n") or 1) * unit, sentence
    return None
