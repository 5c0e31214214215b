"""Shared text folding: lower case without accents, one character for one character.

`fold(text)` keeps positions (len(fold(t)) == len(t) and fold(t)[a:b] == fold(t[a:b])), so a
station can fold a whole article once and slice the result instead of folding each piece.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

APOSTROPHES = "’‘`´"
# Combining marks (Unicode categories Mn, Mc, Me) of the Basic Multilingual Plane as a regex
# class: Python's `\w` leaves them out, so the vowel signs of Devanagari and other Indic scripts
# would cut words in two ("तीन" read as "त", "न").
MARK_CHARS = "".join(re.escape(chr(c)) for c in range(0x300, 0x10000)
                     if unicodedata.category(chr(c))[0] == "M")
MARKS = f"[{MARK_CHARS}]"
LETTER_OR_MARK = rf"(?:[^\W\d_]|{MARKS})"  # a letter, or a mark inside a word
WORD_OR_MARK = rf"[\w{MARK_CHARS}]"  # one class: cheap in the look-arounds of term patterns
# Lower-case letters (category Ll) of the Basic Multilingual Plane: a sentence may begin with
# any other letter, an upper-case one in any script or one of a script without case.
LOWER = "[" + "".join(re.escape(chr(c)) for c in range(0x80, 0x10000)
                      if unicodedata.category(chr(c)) == "Ll") + "a-z]"
# ASCII folds by lower-casing; only the backtick changes into an apostrophe.
_ASCII_TABLE = str.maketrans("`", "'")


class _FoldTable(dict):
    """Code point -> folded character, filled on first sight (a str.translate table)."""

    def __missing__(self, code: int) -> str:
        """Fold one code point and remember it."""
        folded = fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold_char(ch: str) -> str:
    """One character lower-cased and without accents, or itself lower-cased."""
    if ch in APOSTROPHES:
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch.lower())
                   if not unicodedata.combining(c))
    return base if len(base) == 1 else (ch.lower() if len(ch.lower()) == 1 else ch)


def fold(text: str) -> str:
    """Lower-cased text without accents, character for character (positions are kept)."""
    if text.isascii():
        return text.lower().translate(_ASCII_TABLE)
    return text.translate(_TABLE)


@functools.lru_cache(maxsize=64)
def fold_cached(text: str) -> str:
    """`fold` of a text folded again and again (a whole article, by several stations)."""
    return fold(text)
