"""langdetect's model and algorithm, with its per-character Python loops made cheap.

`detect_langs` gives the same languages and the same probabilities, bit for bit, as
`langdetect.detect_langs` with the same `DetectorFactory.seed`: it is langdetect's own
`Detector`, on the profiles langdetect's own factory loaded, with four methods rewritten.

- `append` and `cleaning_text`: the same regular expressions and character tests, applied
  to the whole string at once instead of character by character.
- `_extract_ngrams`: `NGram.normalize` is a function of one character, so it becomes a
  `str.translate` table filled on first use. `NGram.add_char` empties its buffer at every
  space, so the n-grams of a text are those of its space-separated words in order, each
  word padded with the space before it (and the one after it, if there is one); each
  word's known n-grams are cached. Inside a word `capitalword` holds exactly when a
  character and the one before it are both upper case.
- `_detect_block`: the same random draws in the same order (`gauss` per trial, `choice`
  per update) and the same IEEE operations on each language's probability: numpy's
  element-wise add, multiply and divide round exactly as Python floats do; the five updates
  between two convergence checks are one `multiply.reduce` over the rows [prob, factor 1,
  ..., factor 5], which multiplies row by row, left to right; the normalising sum is
  Python's `sum`, left to right, as in langdetect (never numpy's pairwise sum).
"""

from __future__ import annotations

import functools
import re
from itertools import chain
from operator import itemgetter

import numpy as np
import numpy.typing as npt
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language
from langdetect.utils.ngram import NGram

SPACE_RUNS = re.compile(" {2,}")
# cleaning_text: 'A' <= ch <= 'z' (brackets, caret, underscore and backquote included) is
# Latin; every character from U+0300 up is not (its block test compares a number with a
# string, so it is always true).
LATIN = re.compile("[A-z]")
NON_LATIN = re.compile("[\u0300-\U0010ffff]")
CHECK_EVERY = 5  # langdetect normalises and tests convergence when i % 5 == 0
# Bounded caches: ~30 MB after 6,500 texts in 14 languages (benchmarks/language.py).
WORD_CACHE_SIZE = 1 << 14
FEATURE_CACHE_SIZE = 1 << 15

Vocabulary = dict[str, list[float]]
Row = npt.NDArray[np.float64]
Feature = tuple[str, Row]  # a known n-gram and its probability in each language


class _NormalizeTable(dict[int, str]):
    """`NGram.normalize` as a `str.translate` table, filled one character at a time."""

    def __missing__(self, code: int) -> str:
        char = NGram.normalize(chr(code))
        self[code] = char
        return char


NORMALIZE = _NormalizeTable()


def word_ngrams(vocabulary: Vocabulary, word: str, spaced: bool) -> tuple[str, ...]:
    """The known n-grams NGram yields for one normalised word, followed by a space or not."""
    padded = " " + word + " " if spaced else " " + word
    upper = [char.isupper() for char in padded]
    # NGram adds padded[end - 1] and yields the 1-, 2- and 3-grams ending there (two at the
    # word's first character), unless it and the character before are upper case.
    ends = [end for end in range(2, len(padded) + 1) if not (upper[end - 1] and upper[end - 2])]
    grams = [padded[start:end] for end in ends for start in range(end - 1, max(end - 4, -1), -1)]
    if spaced:  # the closing space's 1-gram is a space, which NGram never yields
        del grams[-3]
    return tuple(filter(vocabulary.__contains__, grams))


class _Model:
    """A factory's vocabulary, with each word's features and each n-gram's feature cached."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.feature = functools.lru_cache(FEATURE_CACHE_SIZE)(self._feature)
        self.spaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, True))
        self.unspaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, False))

    def _feature(self, gram: str) -> Feature:
        """The n-gram and its probability in each language, as an array."""
        return gram, np.array(self.vocabulary[gram], dtype=np.float64)

    def _word(self, spaced: bool, word: str) -> tuple[Feature, ...]:
        """The word's known n-grams with their probabilities (shared between words)."""
        return tuple(map(self.feature, word_ngrams(self.vocabulary, word, spaced)))


@functools.cache
def _model(factory: DetectorFactory) -> _Model:
    """The cached model of `factory` (langdetect keeps one factory for the process)."""
    return _Model(factory.word_lang_prob_map)


class FastDetector(Detector):
    """langdetect's Detector: same model, same random draws, same answers, less Python."""

    def __init__(self, factory: DetectorFactory) -> None:
        super().__init__(factory)
        self._model = _model(factory)

    def append(self, text: str) -> None:
        """Append text: URLs and e-mail addresses blanked, Vietnamese marks folded."""
        if "http" in text:
            text = self.URL_RE.sub(" ", text)
        if "@" in text:
            text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        self.text += SPACE_RUNS.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        """Drop Latin letters from a text written mostly in another script."""
        if self.text.isascii():
            return
        without_latin, latin = LATIN.subn("", self.text)
        if latin * 2 < len(NON_LATIN.findall(self.text)):
            self.text = without_latin

    def _extract_ngrams(self) -> list[str]:
        """The known 1-, 2- and 3-grams of the text, in langdetect's order."""
        return [gram for gram, _ in self._features()]

    def _features(self) -> list[Feature]:
        """The known n-grams of the text with their probabilities, in langdetect's order."""
        *words, last = self.text.translate(NORMALIZE).split(" ")
        found = list(map(self._model.spaced, filter(None, words)))
        if last:
            found.append(self._model.unspaced(last))
        return list(chain.from_iterable(found))

    def _detect_block(self) -> None:
        """Average the language probabilities of `n_trial` seeded random walks."""
        if self.verbose:
            super()._detect_block()
            return
        self.cleaning_text()
        rows = list(map(itemgetter(1), self._features()))
        if not rows:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        langprob = np.zeros(len(self.langlist))
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.array(self._init_probability(), dtype=np.float64)
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            langprob += self._walk(prob, rows, alpha / self.BASE_FREQ) / self.n_trial
        self.langprob = langprob.tolist()

    def _walk(self, prob: Row, rows: list[Row], weight: float) -> Row:
        """One trial: update with random n-grams until converged or at the iteration limit."""
        choice = self.random.choice
        prob *= weight + choice(rows)
        prob, top = _normalized(prob)
        i = 0
        factors = np.empty((CHECK_EVERY + 1, len(prob)))
        while not (top > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT):
            factors[0] = prob
            factors[1:] = [choice(rows) for _ in range(CHECK_EVERY)]
            factors[1:] += weight
            prob, top = _normalized(np.multiply.reduce(factors, axis=0))
            i += CHECK_EVERY
        return prob


def _normalized(prob: Row) -> tuple[Row, float]:
    """Probabilities divided by their sum, added left to right, and the largest of them."""
    values = prob.tolist()
    total = sum(values)
    # Rounded division by a positive number keeps the order, so max(p) / total is max(p / total).
    return prob / total, max(values) / total


def detect_langs(text: str) -> list[Language]:
    """As `langdetect.detect_langs`: languages above 0.1, most probable first."""
    detector_factory.init_factory()
    detector = FastDetector(detector_factory._factory)
    detector.append(text)
    result: list[Language] = detector.get_probabilities()
    return result
