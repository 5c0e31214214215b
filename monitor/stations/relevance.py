"""Relevance station: is this a report of a child-recovery operation?

Topics:
- `operation`: the article reports what an operation achieved: somewhere a count of at least
  two children sits in a clause with a recovery word (recovered, located, rescued, found),
  an operation word occurs (operation, sweep, task force, multi-agency ...), and look-alike
  cues do not pull the score under the threshold.
- `related`: the same beat without an operation's results: child words together with
  missing/exploitation words or look-alike cues (a single missing child, an AMBER alert, a
  predator sting, a sex-offender compliance sweep, a statistics page, policy).
- `off_topic`: everything else.

All vocabulary comes from the language profile (`terms` in monitor/stations/profiles/<code>.yml).
The neutral profile (no profile for the detected language) reads digits only and uses the
union of every profile's terms, with the same rules: a language without a profile is still
classified when its text borrows the beat's words (English press-release names, "AMBER").
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from monitor.stations.extraction import ABBREVIATION_END
from monitor.stations.numbers import NumberMention, find_numbers
from monitor.stations.profiles import Profile, lending_codes, load_profile
from monitor.stations.text import LOWER, MARKS, WORD_OR_MARK, fold, fold_cached

logger = logging.getLogger(__name__)

KINDS = ("recovered", "located", "rescued", "found", "identified")
# "14 child victims identified" is what a sting reports as well as a rescue: a count whose only
# kind is identification weighs as a small count.
WEAK_KINDS = frozenset({"identified", "victims"})
THRESHOLD = 0.5
RECENT_TEXTS = 64  # classifications remembered (a pure function of text, title and profile)
# A count of one or two children ("two children found safe") is what single-case stories
# (AMBER alerts, a family abduction) report; operations report groups, so it weighs less.
WEIGHTS = {"count": 0.4, "small_count": 0.2, "second_count": 0.1, "operation": 0.25,
           "lead": 0.1, "beat": 0.15, "lookalike": -0.2}
SMALL_COUNT = 2
LEAD_CHARS = 400
COUNT_GAP_WORDS = 6
COUNT_AFTER_GAP_WORDS = 2
GAP_BLOCKERS = ("count_blockers", "people", "arrest")
TITLE_WORD = re.compile(r"[^\W\d_]+")
TITLE_CASE_SHARE = 0.8  # "watoto [wa mitaani] 80"
COUNT_WINDOW_CHARS = 80
# Title and text are analysed up to this many characters (the work a page can make
# the station do is bounded): an article says what it reports long before; a 100 KB text is
# some 15,000 words, longer than any news report. Facts and anchors read the same span.
ANALYSED_CHARS = 100_000
# A full stop, ! or ? and a space before a sentence's first letter (upper case, or of a script
# without case) or digit; the full stops of scripts that need no space after them (। 。 ！ ？ ؟);
# line breaks and list bullets.
SENTENCE_BREAK = re.compile(rf"(?<=[.!?])\s+(?=[\"“«¿¡(]?(?!{LOWER})\w)|(?<=[।。！？؟])\s*"
                            r"|\n+|\s[•·▪]\s*|^\s*[•·▪-]\s+")
CLAUSE_BREAK = re.compile(r"[,;:()\[\]–—]|\s-\s")
# between a count and its words: `60 "critically missing" children`, "labing-isang (11) bata"
GLUE_CHARS = " \t/-\u00a0\u202f\"“”«»‘’()"
GAP_WORD = re.compile(rf"[\s/\-\"“”«»‘’()]*([^\W\d_](?:[\w'’]|{MARKS})*)")
# a "word" of text written without spaces: one character
GAP_CHARACTER = re.compile(r"[\s/\-\"“”«»‘’()]*([^\W\d_])")
YEAR = re.compile(r"(?:19|20)\d\d")
# a number right after a blocker that follows the child word makes it an age: "children aged
# 5 to 12", "enfants âgés de 10 à 16 ans", "minors under 16"
AGE_AFTER = re.compile(r"[^\w]*(?:[^\W\d]{1,3}\s+)?\d")
DATED = re.compile(rf"\b{YEAR.pattern}\b")


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


@dataclass(frozen=True)
class ChildCount:
    """A number of children written in the text, and what the text says happened to them."""

    value: int
    start: int
    end: int
    phrase: str  # "78 missing minors"
    sentence: str
    kinds: frozenset[str]  # recovered / located / rescued / found in the count's clause
    approximate: bool  # "over 60 children"


# ----- term matching -----


def term_pattern(terms: Iterable[str], whole_word_end: bool = True,
                 whole_word_start: bool = True) -> re.Pattern[str] | None:
    """One regex for a list of terms: whole words, `*` = any ending, spaces = any space.

    Without `whole_word_end` a term may run on into a longer word (a cheap superset test);
    without `whole_word_start` it may start inside one (text written without spaces)."""
    alternatives = []
    for term in terms:
        words = fold(str(term)).split()
        if words:
            alternatives.append(_alternative(words))
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    end = r"(?!\w)" if whole_word_end else ""
    start = r"(?<!\w)" if whole_word_start else ""
    return re.compile(start + "(?:" + "|".join(alternatives) + ")" + end)


def _alternative(words: list[str]) -> str:
    """The regex of one term's folded words: `*` = any ending, spaces = any space. A term
    written with combining marks (vowel signs) may end only where its word ends."""
    marked = any(re.search(MARKS, w) for w in words)
    ending = rf"{WORD_OR_MARK}*" if marked else r"\w*"
    regex = r"[\s\-]+".join(re.escape(w[:-1]) + ending if w.endswith("*") else re.escape(w)
                             for w in words)
    return regex + (rf"(?!{MARKS})" if marked else "")


def term_literals(term: str) -> frozenset[str]:
    """The plain texts every match of `term` contains: its words without a trailing `*`."""
    return frozenset(w[:-1] if w.endswith("*") else w for w in fold(str(term)).split()) - {""}


class TermGate:
    """A cheap superset test of a term group's pattern, run first: most texts hold no term.

    Python's `re` tries the lookbehind before a term at every position of the text. A few
    terms: substring tests for each term's words say sooner that none occurs. Many terms
    (the neutral profile's): one scan for the terms without word boundaries, grouped by
    first character, so the engine skips to where a term's first character occurs. A text
    the gate admits is still scanned by the group's pattern: the same matches."""

    MAX_TESTS = 24  # terms tested with `in`; more: one scan is cheaper

    def __init__(self, terms: list[str]) -> None:
        """The literals of each term (but for terms whose literals imply another term's)."""
        needs: list[frozenset[str]] = []
        for need in sorted({term_literals(t) for t in terms if fold(str(t)).split()},
                           key=lambda n: (sum(map(len, n)), sorted(n))):
            if not any(_implies(need, kept) for kept in needs):
                needs.append(need)
        self.open = frozenset() in needs  # a term that is only "*": any text may match
        self.scan = _boundless_scan(terms) if len(needs) > self.MAX_TESTS else None
        self.singles = tuple(sorted(next(iter(n)) for n in needs if len(n) == 1))
        self.multiples = tuple(tuple(sorted(n, key=len, reverse=True))
                               for n in needs if len(n) > 1)

    def admits(self, folded: str) -> bool:
        """False when no term of the group can occur in folded text (not even cut short)."""
        if self.open:
            return True
        if self.scan is not None:
            return self.scan.search(folded) is not None
        return (any(s in folded for s in self.singles)
                or any(all(s in folded for s in m) for m in self.multiples))


def _implies(needs: frozenset[str], other: frozenset[str]) -> bool:
    """Whether a text holding all of `needs` surely holds all of `other`."""
    return all(any(o in n for n in needs) for o in other)


def _boundless_scan(terms: list[str]) -> re.Pattern[str]:
    """`term_pattern(terms)` without word boundaries, its terms grouped by first character
    (terms are not "*" alone: the gate is open then)."""
    by_first: dict[str, list[str]] = {}
    for term in terms:
        words = fold(str(term)).split()
        if words:
            by_first.setdefault(words[0][0], []).append(_alternative([words[0][1:], *words[1:]]))
    return re.compile("|".join(re.escape(first) + "(?:" + "|".join(rests) + ")"
                               for first, rests in by_first.items()))


class Vocabulary:
    """A profile's term groups, compiled once."""

    def __init__(self, terms: dict[str, list[str]], unspaced: bool = False,
                 count_after_noun: bool = False) -> None:
        """Compile every group (without word boundaries for text written without spaces);
        `count_after_noun`: counts may follow the child word ("watoto 80", "儿童78名")."""
        self.count_after_noun = count_after_noun
        self.patterns = {group: term_pattern(words, not unspaced, not unspaced)
                         for group, words in terms.items()}
        self.gates = {group: TermGate(words) for group, words in terms.items()}
        self.gap_word = GAP_CHARACTER if unspaced else GAP_WORD
        # A child word starting anywhere (even cut short by a count's window), and the
        # "approximately" words just before a count: compiled once, used per sentence.
        self.child_start = term_pattern(terms.get("child", []), whole_word_end=False,
                                        whole_word_start=not unspaced)
        approximate = self.patterns.get("approximate")
        self.approximate_before = (re.compile(r"(?:" + approximate.pattern + r")\s*$")
                                   if approximate else None)

    def find(self, group: str, folded: str) -> list[str]:
        """The distinct terms of `group` found in already folded text, in order."""
        pattern = self.patterns.get(group)
        if pattern is None or not self.may_occur(group, folded):
            return []
        return list(dict.fromkeys(m.group(0) for m in pattern.finditer(folded)))

    def has(self, group: str, folded: str) -> bool:
        """Whether any term of `group` occurs in folded text."""
        pattern = self.patterns.get(group)
        return bool(pattern and self.may_occur(group, folded) and pattern.search(folded))

    def may_occur(self, group: str, folded: str) -> bool:
        """False when no term of `group` (even cut short) can occur in folded text."""
        gate = self.gates.get(group)
        return gate is None or gate.admits(folded)

    def has_child_start(self, folded: str) -> bool:
        """Whether a child word starts somewhere in folded text (perhaps cut short)."""
        return bool(self.child_start and self.may_occur("child", folded)
                    and self.child_start.search(folded))

    def blocks(self, folded: str, pos: int) -> bool:
        """Whether the word at `pos`, between a number and a child word, shows the number
        counts something else: a blocker ("years", "cases"), people ("men", "suspects") or an
        arrest ("four men were arrested for preying on children")."""
        return any(self.match_at(group, folded, pos) for group in GAP_BLOCKERS)

    def match_at(self, group: str, folded: str, pos: int) -> re.Match[str] | None:
        """A term of `group` starting exactly at `pos`."""
        pattern = self.patterns.get(group)
        return pattern.match(folded, pos) if pattern else None


_VOCABULARIES: dict[int, tuple[Profile, Vocabulary]] = {}


def vocabulary(profile: Profile) -> Vocabulary:
    """The compiled terms of `profile`; the neutral profile gets every profile's terms."""
    cached = _VOCABULARIES.get(id(profile))
    if cached and cached[0] is profile:
        return cached[1]
    vocab = (Vocabulary(profile.terms, profile.unspaced,
                        bool(profile.data.get("count_after_noun"))) if profile.terms
             else _merged_vocabulary())
    _VOCABULARIES[id(profile)] = (profile, vocab)
    return vocab


@functools.cache
def _merged_vocabulary() -> Vocabulary:
    """The union of the term groups of the profiles that lend theirs to articles in a language
    without a profile (`neutral_terms: true`: the languages the beat's vocabulary is borrowed
    from, as "AMBER alert" or "task force")."""
    merged: dict[str, list[str]] = {}
    for code in lending_codes():
        for group, words in load_profile(code).terms.items():
            merged.setdefault(group, []).extend(words)
    return Vocabulary(merged)


# ----- sentences and child counts -----


@functools.lru_cache(maxsize=4)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence, list item or line of `text` (remembered for the last
    few texts: the child counts, victims and counts beside a recovery read the same)."""
    spans, start = [], 0
    for match in SENTENCE_BREAK.finditer(text):
        if "\n" not in match.group(0) and ABBREVIATION_END.search(text[start:match.start()]):
            continue  # "U.S. Marshals", "Sonya K. Chavez"
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return tuple((s, e) for s, e in spans if text[s:e].strip())


def child_counts(text: str, profile: Profile) -> list[ChildCount]:
    """Every "<number> [up to four words] <child word>" in `text`, with its recovery kinds."""
    vocab = vocabulary(profile)
    if vocab.child_start is None:
        return []
    folded_text = fold_cached(text)
    if not vocab.has_child_start(folded_text):
        return []  # every sentence starts after a non-word character: none can hold one
    counts = []
    for s_start, s_end in sentence_spans(text):
        folded = folded_text[s_start:s_end]  # == fold(sentence): folding keeps positions
        if not vocab.has_child_start(folded):
            continue  # no child word, so no count of children
        sentence = text[s_start:s_end]
        mentions = [m for m in find_numbers(sentence, profile) if _countable(m)]
        found = [c for c in (_child_count(sentence, folded, m, vocab, s_start)
                             or _child_count_after(sentence, folded, m, vocab, s_start)
                             for m in mentions) if c]
        kinds = [_clause_kinds(count, sentence, folded, s_start, vocab) for count in found]
        if found and not any(kinds):  # "12 girls and 9 boys, from one town, were rescued"
            kinds = [_kinds(sentence, folded, vocab)] * len(found)
        counts += [replace(count, kinds=k) for count, k in zip(found, kinds, strict=True)]
    return counts


def _countable(mention: NumberMention) -> bool:
    """Numbers that can count children: not years, not zero, not written with a leading zero
    (a day or month: "2017-05")."""
    return (mention.value > 0 and not YEAR.fullmatch(mention.text)
            and not mention.text.startswith("0"))


def _child_count(sentence: str, folded_sentence: str, mention: NumberMention,
                 vocab: Vocabulary, offset: int) -> ChildCount | None:
    """The count if a child word follows `mention` closely, with no blocker in between."""
    folded = folded_sentence[: mention.end + COUNT_WINDOW_CHARS]
    pos = mention.end
    for _ in range(COUNT_GAP_WORDS + 1):
        child = vocab.match_at("child", folded, _skip_glue(folded, pos))
        if child:
            end = child.end()
            while more := vocab.match_at("child", folded, _skip_glue(folded, end)):
                end = more.end()
            blocker = vocab.match_at("count_blockers", folded, _skip_glue(folded, end))
            if blocker and not AGE_AFTER.match(folded_sentence, blocker.end()):
                return None  # "missing children cases", not "children aged 5 to 12"
            before = folded_sentence[max(0, mention.start - 30): mention.start]
            approximate = bool(vocab.approximate_before
                               and vocab.approximate_before.search(before))
            return ChildCount(mention.value, offset + mention.start, offset + end,
                              sentence[mention.start: end], sentence, frozenset(), approximate)
        word = vocab.gap_word.match(folded, pos)
        if word is None or vocab.blocks(folded, word.start(1)):
            return None
        pos = word.end()
    return None


def _child_count_after(sentence: str, folded_sentence: str, mention: NumberMention,
                       vocab: Vocabulary, offset: int) -> ChildCount | None:
    """The count if the language writes it after the child word ("watoto 80 waliokolewa",
    "解救儿童78名"): a child word at most COUNT_AFTER_GAP_WORDS words before `mention`, with
    no blocker in between nor right after the number."""
    pattern = vocab.patterns.get("child")
    if not vocab.count_after_noun or pattern is None:
        return None
    start = max(0, mention.start - COUNT_WINDOW_CHARS)
    child = next(reversed(list(pattern.finditer(folded_sentence, start, mention.start))),
                 None)  # the last child word before the number
    if child is None or vocab.match_at("count_blockers", folded_sentence,
                                       _skip_glue(folded_sentence, mention.end)):
        return None
    pos = child.end()
    for _ in range(COUNT_AFTER_GAP_WORDS + 1):
        if _skip_glue(folded_sentence, pos) >= mention.start:
            return ChildCount(mention.value, offset + child.start(), offset + mention.end,
                              sentence[child.start(): mention.end], sentence, frozenset(),
                              False)
        word = vocab.gap_word.match(folded_sentence, pos, mention.start)
        if word is None or vocab.blocks(folded_sentence, word.start(1)):
            return None
        pos = word.end()
    return None


def _skip_glue(folded: str, pos: int) -> int:
    """The position after spaces, hyphens and slashes."""
    while pos < len(folded) and folded[pos] in GLUE_CHARS:
        pos += 1
    return pos


def _clause_kinds(count: ChildCount, sentence: str, folded: str, offset: int,
                  vocab: Vocabulary) -> frozenset[str]:
    """The recovery kinds of the count's clause (a sentence whose counts have none in their
    clauses gives them its own: see `child_counts`)."""
    left, right = clause_bounds(sentence, count.start - offset, count.end - offset)
    return _kinds(sentence[left:right], folded[left:right], vocab)


def clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    """Where the clause of `sentence` around `start`..`end` begins and ends."""
    left = max((m.end() for m in CLAUSE_BREAK.finditer(sentence, 0, start)), default=0)
    right = next((m.start() for m in CLAUSE_BREAK.finditer(sentence, end)), len(sentence))
    return left, right


def _kinds(text: str, folded: str, vocab: Vocabulary) -> frozenset[str]:
    """Which recovery kinds `text` (folded: `folded`) names, outside proper names (in a
    headline written in title case every word is capitalised: none is taken for a name)."""
    kinds = set()
    headline = is_title_case(text)
    for kind in KINDS:
        pattern = vocab.patterns.get(kind)
        if pattern and any(headline or not in_proper_name(text, m.start(), m.end())
                           for m in pattern.finditer(folded)):
            kinds.add(kind)
    return frozenset(kinds)


def is_title_case(text: str) -> bool:
    """Whether most words of `text` (four or more) open with a capital, as headlines do in
    English or Turkish ("7 Çocuk Kurtarıldı", "Missing Children Recovered In Michigan")."""
    words = [w for w in TITLE_WORD.findall(text) if len(w) > 3]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)


def in_proper_name(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a capitalised word beside another capitalised word."""
    if not text[start:start + 1].isupper():
        return False
    before = re.search(r"([^\W\d_][\w'’.-]*)\s+$", text[:start])
    after = re.match(r"\s+([^\W\d_][\w'’.-]*)", text[end:])
    return any(m and m.group(1)[0].isupper() for m in (before, after))


def victim_counts(full: str, folded_text: str, profile: Profile) -> list[ChildCount]:
    """Counts of victims or people rescued in a sentence that, or whose neighbour, says some
    were children ("the rescue of 20 people ... working in the sex trade as a minor"): weak
    counts, of kind `victims`, as the count is not of children alone."""
    vocab = vocabulary(profile)
    if not (vocab.has("victims", folded_text) and vocab.has_child_start(folded_text)):
        return []
    found = []
    spans = sentence_spans(full)
    for index, (start, end) in enumerate(spans):
        folded, sentence = folded_text[start:end], full[start:end]
        if not (vocab.has("victims", folded) and _kinds(sentence, folded, vocab) - WEAK_KINDS
                and _says_children(folded_text, spans, index, vocab)):
            continue
        found += [ChildCount(m.value, start + m.start, start + m.end, sentence[m.start:m.end],
                             sentence, frozenset({"victims"}), False)
                  for m in find_numbers(sentence, profile) if _countable(m) and m.value >= 2
                  and _victims_follow(folded, m.end, vocab)
                  and not _arrested(folded, m.start, m.end, vocab)]
    return found


def _named(count: ChildCount) -> bool:
    """Whether the count's child word is capitalised mid-sentence, as in a name ("30 surgeons
    at Boston Children's Hospital")."""
    word = count.phrase.split()[-1]
    return word[:1].isupper() and not is_title_case(count.sentence)


def _arrested(folded: str, start: int, end: int, vocab: Vocabulary) -> bool:
    """Whether the clause around a count names an arrest ("1,468 people were arrested")."""
    left, right = clause_bounds(folded, start, end)
    return vocab.has("arrest", folded[left:right])


def _victims_follow(folded: str, pos: int, vocab: Vocabulary) -> bool:
    """Whether a victims word follows `pos`, at most one word later ("49 vulnerable people")."""
    pos = _skip_glue(folded, pos)
    if vocab.match_at("victims", folded, pos):
        return True
    word = vocab.gap_word.match(folded, pos)
    return bool(word and not vocab.blocks(folded, word.start(1))
                and vocab.match_at("victims", folded, _skip_glue(folded, word.end())))


def _says_children(folded_text: str, spans: tuple[tuple[int, int], ...], index: int,
                   vocab: Vocabulary) -> bool:
    """Whether the sentence at `index`, or one beside it, names children ("150 people were
    located. They are adults, children and teenagers")."""
    near = spans[max(0, index - 1): index + 2]
    return any(vocab.has_child_start(folded_text[s:e]) for s, e in near)


@dataclass(frozen=True)
class ChildTotals:
    """The children an article counts: its headline count (the largest count with a recovery
    word), whether that count is approximate ("over 200"), and every such count."""

    head: int | None = None
    approximate: bool = False
    values: frozenset[int] = frozenset()

    def as_json(self) -> dict[str, Any]:
        """The totals as stored with the dedup index."""
        return {"head": self.head, "approximate": self.approximate,
                "values": sorted(self.values)}


def analysed_text(text: str, title: str | None) -> str:
    """Title (unless the text opens with it) and text, cut to the ANALYSED_CHARS analysed."""
    full = f"{title}\n{text}" if title and not text.startswith(title) else text
    return full[:ANALYSED_CHARS]


def child_totals(text: str, title: str | None, profile: Profile) -> ChildTotals:
    """The counts of recovered, located, rescued or found children in title and text."""
    return _totals(recovery_counts(analysed_text(text, title), profile))


def _totals(counts: list[ChildCount]) -> ChildTotals:
    """The headline count and every count of `counts`."""
    if not counts:
        return ChildTotals()
    head = max(counts, key=lambda c: (c.value, not c.approximate))
    return ChildTotals(head.value, head.approximate, frozenset(c.value for c in counts))


def recovery_counts(full: str, profile: Profile) -> list[ChildCount]:
    """The counts of two or more children with a recovery word in their clause."""
    return [c for c in counts_of_children(full, profile) if c.kinds and c.value >= 2]


def counts_of_children(full: str, profile: Profile) -> list[ChildCount]:
    """`child_counts` of `full`, remembered for a loaded profile, as the classification and
    the dedup station read the same ones."""
    if profile is load_profile(profile.code):
        return _counts_of_children(full, profile.code)
    return child_counts(full, profile)


@functools.lru_cache(maxsize=RECENT_TEXTS)
def _counts_of_children(full: str, code: str) -> list[ChildCount]:
    """`counts_of_children` through a loaded profile."""
    return child_counts(full, load_profile(code))


def counts_told_beside(full: str, folded_text: str, profile: Profile) -> list[ChildCount]:
    """Exact counts of three or more children whose sentence names no recovery but a sentence
    beside it does ("123 children had vanished. Police found them all on one day"; "Among
    the victims rescued were 157 children"): weak counts, of kind `victims`, as the other
    sentence may speak of others."""
    vocab = vocabulary(profile)
    bare = [c for c in counts_of_children(full, profile)
            if not c.kinds and not c.approximate and c.value > SMALL_COUNT and not _named(c)
            and not DATED.search(c.sentence)]  # "300 missing children in 2023": a statistic
    if not bare:
        return []
    spans = sentence_spans(full)
    return [replace(count, kinds=frozenset({"victims"})) for count in bare
            if _recovery_beside(full, folded_text, spans, count.start, vocab)]


def _recovery_beside(full: str, folded_text: str, spans: tuple[tuple[int, int], ...], pos: int,
                     vocab: Vocabulary) -> bool:
    """Whether the sentence before or after the one holding `pos` names a recovery."""
    index = next(i for i, (start, end) in enumerate(spans) if start <= pos < end)
    return any(_kinds(full[start:end], folded_text[start:end], vocab) - WEAK_KINDS
               for start, end in spans[max(0, index - 1): index] + spans[index + 1: index + 2])


# ----- classification -----


def classify(text: str, title: str | None, profile: Profile) -> Relevance:
    """Classify an article as operation / related / off_topic, with score and deciding terms."""
    if profile is load_profile(profile.code):  # a loaded profile: the result may be recent
        return _classify_recent(text, title, profile.code)
    return _classify(text, title, profile)


@functools.lru_cache(maxsize=RECENT_TEXTS)
def _classify_recent(text: str, title: str | None, code: str) -> Relevance:
    """`classify` through a loaded profile, remembered for the last few texts: syndicated
    copies repeat an article word for word."""
    return _classify(text, title, load_profile(code))


def _classify(text: str, title: str | None, profile: Profile) -> Relevance:
    """The classification itself."""
    full = analysed_text(text, title)
    vocab = vocabulary(profile)
    folded = fold_cached(full)
    counts = recovery_counts(full, profile)
    counts += victim_counts(full, folded, profile) + counts_told_beside(full, folded, profile)
    operation = vocab.find("operation", folded)
    lead = bool(operation) and vocab.has("operation", folded[:LEAD_CHARS])  # weighs only then
    beat = vocab.find("missing", folded)
    lookalikes = vocab.find("lookalike", folded)
    later = len(lookalikes) - len(vocab.find("lookalike", folded[:LEAD_CHARS]))
    score = _score(counts, bool(operation), lead, bool(beat), len(lookalikes) - later / 2)
    terms = ([f"count:{c.phrase} ({'/'.join(sorted(c.kinds))})" for c in counts[:3]]
             + [f"operation:{t}" for t in operation[:3]] + [f"missing:{t}" for t in beat[:3]]
             + [f"lookalike:{t}" for t in lookalikes])
    if counts and operation and score >= THRESHOLD:
        return Relevance("operation", score, terms)
    if (beat or lookalikes or counts) and vocab.has("child", folded):
        return Relevance("related", score, terms)
    return Relevance("off_topic", score, terms)


def _score(counts: list[ChildCount], operation: bool, lead: bool, beat: bool,
           lookalikes: float) -> float:
    """A 0..1 score: counts of recovered children and operation words up, look-alikes down."""
    values = {c.value for c in counts if c.kinds - WEAK_KINDS}
    count_weight = WEIGHTS["count"] if max(values, default=0) > SMALL_COUNT \
        else WEIGHTS["small_count"]
    score = (count_weight * bool(counts)
             + WEIGHTS["second_count"] * (len({c.value for c in counts}) > 1)
             + WEIGHTS["operation"] * operation + WEIGHTS["lead"] * (operation and lead)
             + WEIGHTS["beat"] * beat + WEIGHTS["lookalike"] * lookalikes)
    return round(min(1.0, max(0.0, score)), 3)
