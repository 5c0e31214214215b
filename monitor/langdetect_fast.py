"""langdetect's model and algorithm, with its per-character Python loops made cheap.

`detect_langs` gives the same languages and the same probabilities, bit for bit, as
`langdetect.detect_langs` with the same `DetectorFactory.seed`: it is langdetect's own
`Detector` with four methods rewritten, on langdetect's own profiles loaded in bulk.

- `load_factory`: the factory `DetectorFactory.load_profile` fills (the same files, read in
  `os.listdir` order, so the same languages in the same order), its vocabulary one numpy
  matrix of probabilities, a row per n-gram and a column per language (count / n_words is
  one IEEE division in numpy as in Python), instead of langdetect's Python loop over
  184,000 profile entries that fills a list of 55 floats per n-gram: about 0.1 s of CPU
  per process instead of 0.3 s. langdetect's own `Detector` reads it as the same mapping.
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
import json
import os
import re
from collections.abc import Callable, Container, Iterator, Mapping
from itertools import chain, count
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
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

N_GRAM = 3  # langdetect's profiles give probabilities to 1-, 2- and 3-grams only

Row = npt.NDArray[np.float64]
Feature = tuple[str, Row]  # a known n-gram and its probability in each language
Profile = dict[str, Any]  # one profile file: name, freq (n-gram -> count), n_words


class ProfileVocabulary(Mapping[str, list[float]]):
    """langdetect's `word_lang_prob_map` (n-gram -> probability per language), as a matrix."""

    def __init__(self, index: dict[str, int], rows: npt.NDArray[np.intp],
                 matrix: npt.NDArray[np.float64]) -> None:
        self.index = index  # n-gram -> its first entry in the profiles
        self.rows = rows  # entry -> matrix row
        self.matrix = matrix

    def __getitem__(self, gram: str) -> list[float]:
        probabilities: list[float] = self.row(gram).tolist()
        return probabilities

    def __contains__(self, gram: object) -> bool:
        return gram in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def row(self, gram: str) -> Row:
        """The n-gram's probabilities as a read-only view of the matrix."""
        return self.matrix[self.rows[self.index[gram]]]


def load_factory(directory: str = PROFILES_DIRECTORY) -> DetectorFactory:
    """The factory `DetectorFactory().load_profile(directory)` gives, with a matrix vocabulary."""
    names = os.listdir(directory)  # langdetect's order (not sorted): it sets the columns
    if not names:
        raise LangDetectException(ErrorCode.NeedLoadProfileError,
                                  "Not found profile: " + directory)
    paths = [os.path.join(directory, name) for name in names if not name.startswith(".")]
    profiles = list(map(_read_profile, filter(os.path.isfile, paths)))
    factory = DetectorFactory()
    factory.langlist = [profile["name"] for profile in profiles]
    if len(set(factory.langlist)) < len(factory.langlist):
        raise LangDetectException(ErrorCode.DuplicateLangError,
                                  "Duplicate the same language profile.")
    # langdetect sizes each row by the directory listing, skipped entries included.
    factory.word_lang_prob_map = _vocabulary(profiles, len(names))
    return factory


def _read_profile(path: str) -> Profile:
    """One profile file: its name, n-gram counts and n-gram totals by length."""
    try:
        with open(path, encoding="utf-8") as fh:
            profile: Profile = json.load(fh)
    except OSError as error:
        raise LangDetectException(ErrorCode.FileLoadError, f'Cannot open "{path}"') from error
    except ValueError as error:
        raise LangDetectException(ErrorCode.FormatError,
                                  f'Profile format error in "{path}"') from error
    return profile


def _vocabulary(profiles: list[Profile], width: int) -> ProfileVocabulary:
    """Every profile's n-grams, in first-seen order, with count / n_words[len - 1] each."""
    # One dict operation per entry: setdefault numbers each n-gram by its first entry.
    index: dict[str, int] = {}
    entries = count()
    firsts = [np.fromiter(map(index.setdefault, freq, entries), dtype=np.intp, count=len(freq))
              for freq in map(itemgetter("freq"), profiles)]
    rows = np.zeros(next(entries), dtype=np.intp)
    rows[np.fromiter(index.values(), dtype=np.intp, count=len(index))] = np.arange(len(index))
    lengths = np.fromiter(map(len, index), dtype=np.intp, count=len(index))
    matrix = np.zeros((len(index), width), dtype=np.float64)
    for column, (profile, first) in enumerate(zip(profiles, firsts, strict=True)):
        row = rows[first]
        length = lengths[row]
        kept = (length >= 1) & (length <= N_GRAM)  # longer n-grams keep a row of zeros
        # Counts and totals are below 2**53: float64 holds them exactly, as 1.0 * count does.
        counts = np.fromiter(profile["freq"].values(), dtype=np.float64, count=len(row))
        totals = np.array(profile["n_words"][:N_GRAM], dtype=np.float64)
        matrix[row[kept], column] = counts[kept] / totals[length[kept] - 1]
    matrix.flags.writeable = False
    return ProfileVocabulary(index, rows, matrix)


class _NormalizeTable(dict[int, str]):
    """`NGram.normalize` as a `str.translate` table, filled one character at a time."""

    def __missing__(self, code: int) -> str:
        char = NGram.normalize(chr(code))
        self[code] = char
        return char


NORMALIZE = _NormalizeTable()


def word_ngrams(vocabulary: Container[str], word: str, spaced: bool) -> tuple[str, ...]:
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
    """A vocabulary, with each word's features and each n-gram's feature cached."""

    def __init__(self, known: Container[str], row: Callable[[str], Row]) -> None:
        self.known = known
        self.row = row
        self.feature = functools.lru_cache(FEATURE_CACHE_SIZE)(self._feature)
        self.spaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, True))
        self.unspaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, False))

    def _feature(self, gram: str) -> Feature:
        """The n-gram and its probability in each language, as an array."""
        return gram, self.row(gram)

    def _word(self, spaced: bool, word: str) -> tuple[Feature, ...]:
        """The word's known n-grams with their probabilities (shared between words)."""
        return tuple(map(self.feature, word_ngrams(self.known, word, spaced)))


@functools.cache
def _model(factory: DetectorFactory) -> _Model:
    """The cached model of `factory`: ours (a matrix) or langdetect's (lists of floats)."""
    vocabulary = factory.word_lang_prob_map
    if isinstance(vocabulary, ProfileVocabulary):
        return _Model(vocabulary.index, vocabulary.row)
    return _Model(vocabulary, lambda gram: np.array(vocabulary[gram], dtype=np.float64))


@functools.cache
def process_factory() -> DetectorFactory:
    """The process's factory, loaded on first use (langdetect's module-level one is not)."""
    return load_factory()


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
    detector = FastDetector(process_factory())
    detector.append(text)
    result: list[Language] = detector.get_probabilities()
    return result
