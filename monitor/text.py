"""Shared text folding: lower case without accents, one character for one character.

`fold(text)` keeps positions (len(fold(t)) == len(t) and fold(t)[a:b] == fold(t[a:b])), so a
station can fold a whole article once and slice the result instead of folding each piece.
"""

from __future__ import annotations

import functools
import logging
import unicodedata

logger = logging.getLogger(__name__)

APOSTROPHES = "’‘`´"
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
