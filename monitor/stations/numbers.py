"""Numbers in text: digits read with the profile's separators, and number words in its language.

`find_numbers(text, profile)` returns every number mention, left to right, with its value and
span. Everything language-specific comes from the profile (see monitor/stations/profiles/*.yml):

- `number_words`: word -> value; words worth 100, 1000, 10**6 ... multiply ("two hundred"),
  as do the words in `number_multipliers` ("two dozen").
- `number_joiners`: words that may join parts of one number ("one hundred and five",
  "treinta y cuatro", "vingt et un").
- `number_teens_after`: round numbers that take 10..19 after them (French "soixante-dix").
- `number_compounds` / `number_parts`: numbers written as one word ("vierundzwanzig",
  "ventotto" = vent + otto); parts are stems that occur only inside such words.
- `thousands_separators` / `decimal_separator`: how digits are grouped ("3,645", "1.234").

Parts written as separate words (space or hyphen between them) join into one number when
they read as one: a round number followed by a smaller one adds ("twenty-four", "dix-huit"),
a multiplier multiplies what precedes it. Digit groups that are dates, times or phone numbers
(three or more groups joined by - / . :, or two groups of three or more digits joined by -)
are not numbers; ordinals written with digits ("34th", "1er") are not either, and decimals
that are not whole numbers ("36.2") are skipped unless a scale word follows ("36.2 million").
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from monitor.stations.profiles import Profile
from monitor.stations.text import LETTER_OR_MARK

logger = logging.getLogger(__name__)

LETTERS = re.compile(rf"[^\W\d_]{LETTER_OR_MARK}*")  # a word, vowel signs included
LETTER = re.compile(LETTER_OR_MARK)
GLUE = re.compile(r"[\s\-\u2010\u2011]+")  # what may stand between two parts of one number
# Regexes open with `\d` so that the regex engine skips ahead to a digit; look-behinds after it
# test the character before the number (`(?<!\w\d)` after the first digit is `\b` before it).
CHAIN = re.compile(r"\d(?:\d*(?:[-/.:]\d+){2,}|\d{2,}-\d{3,}|(?<!\w\d)\d?:\d{2}\b)")
NON_DIGITS = re.compile(r"\D")
SCALE_WORD = re.compile(r"[ \u00a0]+([^\W\d_]+)")
MAX_COMPOUND_CHARS = 60
# A number written with more digits than this is no count, sum or date (a quadrillion has 16
# digits): it is not read. Hostile pages write hundreds of digits, whose values no
# float holds and whose conversion costs time quadratic in their length.
MAX_DIGITS = 18
# A word character other than kana and CJK ideographs (which touch numbers in unspaced text).
UNSPACED_WORD = r"[^\W\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]"
COMPOUND_CACHE = 1 << 14  # words remembered per lexicon as compound numbers or not


@dataclass(frozen=True)
class NumberMention:
    """A number found in text: its value and where it was written."""

    value: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Part:
    """One part of a number written in words: its value, and whether it multiplies."""

    value: int
    multiplier: bool
    next_token: int  # index of the token after this part


@dataclass
class Reading:
    """The value being built from the parts of one number in words."""

    total: int = 0
    current: int = 0
    last: int = 0
    last_multiplier: bool = False
    last_big: int | None = None

    @property
    def value(self) -> int:
        """The number read so far."""
        return self.total + self.current


@dataclass
class Lexicon:
    """A profile's number words arranged for reading."""

    words: dict[str, int]
    phrases: dict[str, list[tuple[tuple[str, ...], int]]]
    multipliers: frozenset[str]
    joiners: frozenset[str]
    pieces: dict[str, int] = field(default_factory=dict)
    openers: frozenset[str] = frozenset()  # words that may begin a number (besides compounds)
    vocabulary: frozenset[str] = frozenset()  # words that may stand inside a number (same)
    compounds: dict[str, int | None] = field(default_factory=dict)  # _compound_value, cached
    # The openers (and compound pieces) in lower-cased text: every token that may open a number
    # matches at its start, and matches inside longer words are checked away.
    opener_search: re.Pattern[str] | None = None


_LEXICONS: dict[int, tuple[Profile, Lexicon]] = {}


def find_numbers(text: str, profile: Profile) -> list[NumberMention]:
    """Every number written in `text` (digits and words of the profile's language), in order."""
    digits = _digit_numbers(text, profile)
    words = [w for w in _word_numbers(text, profile) if not _overlaps(w, digits)]
    return sorted(digits + words, key=lambda m: m.start)


def _overlaps(word: NumberMention, digits: list[NumberMention]) -> bool:
    """Whether `word` overlaps one of `digits` (in order and disjoint, so only the last one
    starting before `word` ends can)."""
    k = bisect.bisect_left(digits, word.end, key=lambda d: d.start)
    return k > 0 and digits[k - 1].end > word.start


# ----- digits -----


_DIGIT_PATTERNS: dict[int, tuple[Profile, re.Pattern[str]]] = {}


def _digit_pattern(profile: Profile) -> re.Pattern[str]:
    """Integers, grouped integers and decimals as this profile writes them (compiled once)."""
    cached = _DIGIT_PATTERNS.get(id(profile))
    if cached and cached[0] is profile:
        return cached[1]
    pattern = _compile_digit_pattern(profile)
    _DIGIT_PATTERNS[id(profile)] = (profile, pattern)
    return pattern


def _compile_digit_pattern(profile: Profile) -> re.Pattern[str]:
    """Integers, grouped integers and decimals as this profile writes them."""
    seps = "".join(re.escape(c) for c in profile.thousands_separators)
    grouped = rf"\d{{0,2}}(?:[{seps}]\d{{3}})+(?!\d)|" if seps else ""
    point = profile.decimal_separator
    decimal = rf"(?:{re.escape(point)}\d+)?" if point else ""
    # a first digit not after a word character nor after a digit and `.` or `,`; in a language
    # written without spaces a number stands between two words ("解救78名")
    word = UNSPACED_WORD if profile.unspaced else r"\w"
    return re.compile(rf"\d(?<!{word}\d)(?<!\d[.,]\d)(?:{grouped}\d*){decimal}(?!{word})"
                      r"(?![.,]\d)")


def _digit_numbers(text: str, profile: Profile) -> list[NumberMention]:
    """Numbers written with digits, skipping dates, times, phone numbers and fractions."""
    masked = [m.span() for m in CHAIN.finditer(text)]
    found = []
    for match in _digit_pattern(profile).finditer(text):
        start, end = match.span()
        if any(s <= start and end <= e and (s, e) != (start, end) for s, e in masked):
            continue
        value, end = _digit_value(text, match.group(0), end, profile)
        if value is not None:
            found.append(NumberMention(value, start, end, text[start:end]))
    return found


def _digit_value(text: str, digits: str, end: int, profile: Profile) -> tuple[int | None, int]:
    """The whole-number value of `digits` (with a scale word after it), and the new end."""
    integer, _, fraction = (digits.partition(profile.decimal_separator)
                            if profile.decimal_separator else (digits, "", ""))
    integer = NON_DIGITS.sub("", integer)
    if len(integer) + len(fraction) > MAX_DIGITS:
        return None, end
    try:
        number = Decimal(f"{integer}.{fraction or 0}")
    except InvalidOperation:
        return None, end
    scale = SCALE_WORD.match(text, end)
    lexicon = _lexicon(profile)
    word = scale.group(1).lower() if scale else ""
    if scale and word in lexicon.multipliers and lexicon.words.get(word, 0) >= 1000:
        number *= lexicon.words[word]
        end = scale.end()
    return (int(number), end) if number == number.to_integral_value() else (None, end)


# ----- words -----


def _lexicon(profile: Profile) -> Lexicon:
    """The profile's number words arranged for reading (cached per profile object)."""
    cached = _LEXICONS.get(id(profile))
    if cached and cached[0] is profile:
        return cached[1]
    words, phrases = {}, {}
    for word, value in profile.number_words.items():
        split = tuple(w for w in GLUE.split(word.lower()) if w)
        if len(split) == 1:
            words[split[0]] = value
        elif split:
            phrases.setdefault(split[0], []).append((split, value))
    for entries in phrases.values():
        entries.sort(key=lambda e: -len(e[0]))
    multipliers = {w for w, v in words.items() if _is_power_of_ten(v) and v >= 100}
    multipliers |= set(profile.number_multipliers) | {
        w for w, v in profile.number_parts.items() if _is_power_of_ten(v) and v >= 100}
    lexicon = Lexicon(words, phrases, frozenset(multipliers), frozenset(profile.number_joiners),
                      {**words, **profile.number_parts} if profile.number_compounds else {},
                      frozenset(words) | frozenset(phrases),
                      frozenset(words).union(profile.number_joiners,
                                             *(p for e in phrases.values() for p, _ in e)))
    lexicon.opener_search = _opener_search(lexicon)
    _LEXICONS[id(profile)] = (profile, lexicon)
    return lexicon


def _opener_search(lexicon: Lexicon) -> re.Pattern[str] | None:
    """The regex finding where a number in words may begin (see Lexicon), or None."""
    if not lexicon.pieces:
        if not lexicon.openers:
            return None
        alternatives = "|".join(map(re.escape, sorted(lexicon.openers, key=len, reverse=True)))
        # no look-behind first: a pattern opening with its words' first letters is scanned fast
        return re.compile(rf"(?:{alternatives})(?![^\W\d_])")
    starts = lexicon.openers | lexicon.pieces.keys()
    # A compound begins with one of its pieces. Pieces of letters only, without the σ/ς that
    # lower-casing a whole text may write differently from the word alone, stay in their word.
    if not all(LETTERS.fullmatch(w) and "σ" not in w and "ς" not in w for w in starts):
        return None
    return re.compile("|".join(map(re.escape, sorted(starts, key=len, reverse=True))))


def _is_power_of_ten(value: int) -> bool:
    """True for 1, 10, 100, 1000 ..."""
    return value > 0 and str(value).rstrip("0") == "1"


def _word_numbers(text: str, profile: Profile) -> list[NumberMention]:
    """Numbers written in words, each as long as its parts read as one number."""
    if not profile.number_words:
        return []
    lexicon = _lexicon(profile)
    lowered = text.lower()
    if lexicon.opener_search is not None and len(lowered) == len(text):
        # one character for one: positions and letter runs are the same in both texts
        return _numbers_at_openers(text, lowered, lexicon.opener_search, lexicon, profile)
    if text.isascii():  # lower-casing ASCII keeps every position and letter run
        tokens = [(m.start(), m.end(), m.group(0)) for m in LETTERS.finditer(lowered)]
    else:
        tokens = [(m.start(), m.end(), m.group(0).lower()) for m in LETTERS.finditer(text)]
    found, j = [], 0
    for i in _openers(tokens, lexicon):
        read = _read_number(text, tokens, i, lexicon, profile) if i >= j else None
        if read is not None:
            value, j = read
            start, end = tokens[i][0], tokens[j - 1][1]
            found.append(NumberMention(value, start, end, text[start:end]))
    return found


Token = tuple[int, int, str]


def _numbers_at_openers(text: str, lowered: str, openers: re.Pattern[str], lexicon: Lexicon,
                        profile: Profile) -> list[NumberMention]:
    """`_word_numbers` from the openers found in `lowered`: only the tokens from each on are read.

    A number's parts are glued together, so reading one needs only the run of glued tokens
    that starts at its opener; the other words of the text are never tokenised."""
    found: list[NumberMention] = []
    done = 0  # where the last number read ends: a number does not start inside another
    for match in openers.finditer(lowered):
        if match.start() < done or (match.start() and LETTER.match(lowered, match.start() - 1)):
            continue
        tokens = _glued_run(text, match.start(), lexicon)
        if not tokens:
            continue
        read = _read_number(text, tokens, 0, lexicon, profile)
        if read is not None:
            value, j = read
            start, done = tokens[0][0], tokens[j - 1][1]
            found.append(NumberMention(value, start, done, text[start:done]))
    return found


def _glued_run(text: str, start: int, lexicon: Lexicon) -> list[Token]:
    """The token at `start`, if it may open a number, and the tokens after it with only spaces
    or hyphens between, up to the first that no number holds (reading stops there anyway)."""
    tokens: list[Token] = []
    for m in LETTERS.finditer(text, start):
        word = m.group(0).lower()
        if not tokens:
            if word not in lexicon.openers and _compound_value(word, lexicon) is None:
                break
        elif GLUE.fullmatch(text, tokens[-1][1], m.start()) is None or (
                word not in lexicon.vocabulary and _compound_value(word, lexicon) is None):
            break
        tokens.append((m.start(), m.end(), word))
    return tokens


def _openers(tokens: list[Token], lexicon: Lexicon) -> list[int]:
    """The indexes of the tokens a number in words may begin with (others never do)."""
    if not lexicon.pieces:
        return [i for i, token in enumerate(tokens) if token[2] in lexicon.openers]
    return [i for i, token in enumerate(tokens) if token[2] in lexicon.openers
            or _compound_value(token[2], lexicon) is not None]


def _read_number(text: str, tokens: list[Token], i: int, lexicon: Lexicon,
                 profile: Profile) -> tuple[int, int] | None:
    """The value of the number in words starting at token `i`, and the token after it."""
    part = _part(text, tokens, i, lexicon)
    if part is None:
        return None
    reading = Reading()
    _apply(reading, part)
    j = part.next_token
    while j < len(tokens) and _glued(text, tokens, j):
        nxt = _part(text, tokens, j, lexicon)
        if nxt is not None and _fits(reading, nxt, profile, joined=False):
            _apply(reading, nxt)
            j = nxt.next_token
            continue
        if tokens[j][2] in lexicon.joiners and j + 1 < len(tokens) and _glued(text, tokens, j + 1):
            nxt = _part(text, tokens, j + 1, lexicon)
            if nxt is not None and _fits(reading, nxt, profile, joined=True):
                _apply(reading, nxt)
                j = nxt.next_token
                continue
        break
    return reading.value, j


def _glued(text: str, tokens: list[Token], j: int) -> bool:
    """True when only spaces or hyphens stand between token j-1 and token j."""
    return GLUE.fullmatch(text[tokens[j - 1][1]:tokens[j][0]]) is not None


def _part(text: str, tokens: list[Token], j: int, lexicon: Lexicon) -> Part | None:
    """The number part (a word, a listed phrase or a compound word) at token `j`."""
    word = tokens[j][2]
    for words, value in lexicon.phrases.get(word, ()):
        end = j + len(words)
        if end <= len(tokens) and tuple(t[2] for t in tokens[j:end]) == words and all(
                _glued(text, tokens, k) for k in range(j + 1, end)):
            return Part(value, False, end)
    if word in lexicon.words:
        return Part(lexicon.words[word], word in lexicon.multipliers, j + 1)
    value = _compound_value(word, lexicon)
    return Part(value, False, j + 1) if value is not None else None


def _fits(reading: Reading, part: Part, profile: Profile, joined: bool) -> bool:
    """Whether `part` continues the number being read."""
    if part.multiplier and reading.current > 0:
        if reading.last_multiplier and reading.last >= part.value:
            return False
        if part.value >= 1000:
            return reading.current < part.value and (
                reading.last_big is None or part.value < reading.last_big)
        return not joined and reading.current < part.value
    if reading.last_multiplier:
        return part.value < reading.last
    if joined and reading.last < 20:
        return False
    if reading.last in profile.number_teens_after and part.value < 20:
        return True
    place = 10 ** (len(str(reading.last)) - 1)
    return reading.last >= 10 and reading.last % place == 0 and part.value < place


def _apply(reading: Reading, part: Part) -> None:
    """Add `part` to the number being read."""
    if part.multiplier and part.value >= 1000:
        reading.total += max(reading.current, 1) * part.value
        reading.current = 0
        reading.last_big = part.value
    elif part.multiplier and (reading.current > 0 or reading.total == 0):
        reading.current = max(reading.current, 1) * part.value
    else:
        reading.current += part.value
    reading.last, reading.last_multiplier = part.value, part.multiplier


def _compound_value(word: str, lexicon: Lexicon) -> int | None:
    """The value of a number written as one word ("vierundzwanzig"), or None."""
    if not lexicon.pieces or len(word) < 4 or len(word) > MAX_COMPOUND_CHARS:
        return None
    if word not in lexicon.compounds:
        if len(lexicon.compounds) >= COMPOUND_CACHE:
            lexicon.compounds.clear()
        lexicon.compounds[word] = _read_compound(word, lexicon)
    return lexicon.compounds[word]


def _read_compound(word: str, lexicon: Lexicon) -> int | None:
    """The value of a compound number word, read piece by piece, or None."""
    pieces = _split_compound(word, lexicon.pieces)
    if not pieces or len(pieces) < 2 or lexicon.pieces[pieces[0]] == 0 \
            or lexicon.pieces[pieces[-1]] == 0:
        return None
    reading = Reading()
    for piece in pieces:
        value = lexicon.pieces[piece]
        if value:
            multiplier = piece in lexicon.multipliers or (_is_power_of_ten(value) and value >= 100)
            _apply(reading, Part(value, multiplier, 0))
    return reading.value


def _split_compound(word: str, pieces: dict[str, int]) -> list[str] | None:
    """The fewest known pieces that spell `word` exactly, or None."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            prefix = best[start]
            if prefix is not None and word[start:end] in pieces and (
                    best[end] is None or len(prefix) + 1 < len(best[end] or [])):
                best[end] = prefix + [word[start:end]]
    return best[-1]
