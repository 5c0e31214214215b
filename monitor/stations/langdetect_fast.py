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
  word's known n-grams are cached, as matrix rows. Inside a word `capitalword` holds
  exactly when a character and the one before it are both upper case; in a word with no
  upper-case letter after its first, every n-gram is yielded (one `itemgetter` of slices).
- `_detect_block`: the same random draws in the same order (`gauss` per trial, `choice`
  per update), read off the Mersenne Twister outputs after `seed(seed)` (the same for
  every text, generated once in bulk): `choice` keeps the first output cut to k bits that
  is below the number of n-grams, `gauss` is `random.gauss`'s formula on two `random()`;
  the rows drawn are taken from the matrix in one go. The same IEEE operations on each
  language's probability: numpy's element-wise add, multiply and divide round exactly as
  Python floats do; the five updates between two convergence checks are one
  `multiply.reduce` over the rows [prob, factor 1, ..., factor 5], which multiplies row by
  row, left to right; the normalising sum is Python's `sum`, left to right, as in
  langdetect (never numpy's pairwise sum).
"""

from __future__ import annotations

import functools
import json
import math
import operator
import os
import random
import re
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
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
STREAM_CHUNK = 1 << 15  # random outputs generated at a time (a text needs 100 to 20,000)
CHOICE_CHUNK = 256  # outputs read at a time for a trial's draws
FIRST_BLOCKS = 8  # blocks of CHECK_EVERY draws stacked at the start of a trial
# Bounded caches: ~30 MB after 6,500 texts in 14 languages (benchmarks/language.py).
WORD_CACHE_SIZE = 1 << 14

IS_KNOWN = functools.partial(operator.is_not, None)
N_GRAM = 3  # langdetect's profiles give probabilities to 1-, 2- and 3-grams only

Row = npt.NDArray[np.float64]
Profile = dict[str, Any]  # one profile file: name, freq (n-gram -> count), n_words


class ProfileVocabulary(Mapping[str, list[float]]):
    """langdetect's `word_lang_prob_map` (n-gram -> probability per language), as a matrix."""

    def __init__(self, index: dict[str, int], matrix: npt.NDArray[np.float64]) -> None:
        self.index = index  # n-gram -> its matrix row
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
        return self.matrix[self.index[gram]]


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
    index.update(zip(index, count()))  # the n-grams in first-seen order: the matrix rows
    return ProfileVocabulary(index, matrix)


class _NormalizeTable(dict[int, str]):
    """`NGram.normalize` as a `str.translate` table, filled one character at a time."""

    def __missing__(self, code: int) -> str:
        char = NGram.normalize(chr(code))
        self[code] = char
        return char


NORMALIZE = _NormalizeTable()


def word_ngrams(vocabulary: Container[str], word: str, spaced: bool) -> tuple[str, ...]:
    """The known n-grams NGram yields for one normalised word, followed by a space or not."""
    return tuple(filter(vocabulary.__contains__, _ngrams(word, spaced)))


def _ngrams(word: str, spaced: bool) -> tuple[str, ...]:
    """The n-grams NGram yields for one normalised word, known or not."""
    padded = " " + word + " " if spaced else " " + word
    if not any(map(str.isupper, word[1:])):  # no two upper-case characters in a row
        return _slicer(len(padded), spaced)(padded)
    upper = [char.isupper() for char in padded]
    # NGram adds padded[end - 1] and yields the 1-, 2- and 3-grams ending there (two at the
    # word's first character), unless it and the character before are upper case.
    ends = [end for end in range(2, len(padded) + 1) if not (upper[end - 1] and upper[end - 2])]
    return tuple(_slices(ends, spaced, padded))


@functools.cache
def _slicer(length: int, spaced: bool) -> Callable[[str], tuple[str, ...]]:
    """The n-grams of a padded word of `length` characters, none skipped, in one C call."""
    # At least two slices (the padded word has two characters or more): a tuple, always.
    return itemgetter(*_slices(range(2, length + 1), spaced))


def _slices(ends: Iterable[int], spaced: bool, padded: str | None = None) -> list[Any]:
    """The 1-, 2- and 3-grams ending at each end, as slices, or as strings of `padded`."""
    grams = [slice(start, end) for end in ends for start in range(end - 1, max(end - 4, -1), -1)]
    if spaced:  # the closing space's 1-gram is a space, which NGram never yields
        del grams[-3]
    return grams if padded is None else [padded[gram] for gram in grams]


class _Model:
    """A vocabulary as a matrix, with each word's known n-grams cached as matrix rows."""

    def __init__(self, known: Container[str], row_id: Callable[[str], int | None],
                 matrix: npt.NDArray[np.float64]) -> None:
        self.known = known
        self.row_id = row_id  # n-gram -> matrix row, None if unknown
        self.matrix = matrix
        self.spaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, True))
        self.unspaced = functools.lru_cache(WORD_CACHE_SIZE)(functools.partial(self._word, False))

    def _word(self, spaced: bool, word: str) -> tuple[int, ...]:
        """The matrix rows of the word's known n-grams."""
        return tuple(filter(IS_KNOWN, map(self.row_id, _ngrams(word, spaced))))


@functools.cache
def _model(factory: DetectorFactory) -> _Model:
    """The cached model of `factory`: ours (a matrix) or langdetect's (lists of floats)."""
    vocabulary = factory.word_lang_prob_map
    if isinstance(vocabulary, ProfileVocabulary):
        return _Model(vocabulary.index, vocabulary.index.get, vocabulary.matrix)
    ids = dict(zip(vocabulary, count()))
    return _Model(ids, ids.get, np.array(list(vocabulary.values()), dtype=np.float64))


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
        known = self._model.known
        *words, last = self.text.translate(NORMALIZE).split(" ")
        grams = [word_ngrams(known, word, True) for word in filter(None, words)]
        if last:
            grams.append(word_ngrams(known, last, False))
        return list(chain.from_iterable(grams))

    def _features(self) -> npt.NDArray[np.intp]:
        """The matrix rows of the text's known n-grams, in langdetect's order."""
        *words, last = self.text.translate(NORMALIZE).split(" ")
        found = list(map(self._model.spaced, filter(None, words)))
        if last:
            found.append(self._model.unspaced(last))
        return np.fromiter(chain.from_iterable(found), dtype=np.intp)

    def _detect_block(self) -> None:
        """Average the language probabilities of `n_trial` seeded random walks."""
        if self.verbose:
            super()._detect_block()
            return
        self.cleaning_text()
        features = self._features()
        if not len(features):
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        langprob = np.zeros(len(self.langlist))
        draws = _Draws(_stream(self.seed))
        for _ in range(self.n_trial):
            prob = np.array(self._init_probability(), dtype=np.float64)
            alpha = self.alpha + draws.gauss() * self.ALPHA_WIDTH
            choices = _Choices(draws, features, self._model.matrix)
            prob, used = self._walk(prob, choices, alpha / self.BASE_FREQ)
            langprob += prob / self.n_trial
            draws.position = choices.end(used)
        self.langprob = langprob.tolist()

    def _walk(self, prob: Row, choices: _Choices, weight: float) -> tuple[Row, int]:
        """One trial, until converged or at the iteration limit: probabilities, n-grams drawn."""
        # factors[1:] are the next draws' rows plus weight; factors[0] is free for prob.
        factors = choices.factors(0, 1 + CHECK_EVERY * FIRST_BLOCKS, weight)
        prob *= factors[1]
        prob, top = _normalized(prob)
        used, at, i = 1, 1, 0
        while not (top > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT):
            if at + CHECK_EVERY >= len(factors):
                factors, at = choices.factors(used, CHECK_EVERY * (i // 2 + 1), weight), 0
            block = factors[at:at + CHECK_EVERY + 1]
            block[0] = prob  # the row of a draw already applied
            prob, top = _normalized(np.multiply.reduce(block, axis=0))
            used += CHECK_EVERY
            at += CHECK_EVERY
            i += CHECK_EVERY
        return prob, used


class _Stream:
    """The 32-bit outputs of `random.Random(seed)`, generated in bulk as far as needed."""

    def __init__(self, seed: object) -> None:
        self.generator = random.Random(seed)
        self.words = np.empty(0, dtype=np.uint32)
        self.lock = threading.Lock()

    def upto(self, end: int) -> npt.NDArray[np.uint32]:
        """The outputs, at least the first `end` of them."""
        with self.lock:
            if end > len(self.words):
                # getrandbits(32 * n) is n outputs, the first in the lowest 32 bits.
                n = max(end - len(self.words), len(self.words), STREAM_CHUNK)
                raw = self.generator.getrandbits(32 * n).to_bytes(4 * n, "little")
                self.words = np.concatenate([self.words, np.frombuffer(raw, dtype="<u4")])
            return self.words


@functools.lru_cache(maxsize=8)
def _seeded_stream(seed: object) -> _Stream:
    """The shared stream of a seed: every detection with that seed reads the same outputs."""
    return _Stream(seed)


def _stream(seed: object) -> _Stream:
    """The stream a detector seeded with `seed` draws from (a fresh one if not seeded)."""
    return _Stream(None) if seed is None else _seeded_stream(seed)


class _Draws:
    """`random.Random`'s `gauss` and `choice`, read off a stream of its outputs from a position."""

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream
        self.position = 0
        self.gauss_next: float | None = None

    def random(self) -> float:
        """As `Random.random`: 53 bits from the next two outputs."""
        a, b = self.stream.upto(self.position + 2)[self.position:self.position + 2].tolist()
        self.position += 2
        return ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)

    def gauss(self) -> float:
        """As `Random.gauss(0.0, 1.0)`: two values per pair of `random()`, the second kept."""
        z = self.gauss_next
        self.gauss_next = None
        if z is None:
            x2pi = self.random() * math.tau
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self.random()))
            z = math.cos(x2pi) * g2rad
            self.gauss_next = math.sin(x2pi) * g2rad
        return 0.0 + z * 1.0


class _Choices:
    """Successive `Random.choice(features)`: outputs cut to len(features).bit_length() bits,
    rejected while not below len(features) (`_randbelow_with_getrandbits`)."""

    def __init__(self, draws: _Draws, features: npt.NDArray[np.intp],
                 matrix: npt.NDArray[np.float64]) -> None:
        self.stream = draws.stream
        self.features = features
        self.matrix = matrix
        self.shift = 32 - len(features).bit_length()
        self.scanned = draws.position
        self.picked = np.empty(0, dtype=np.intp)  # the matrix row of each draw
        self.ends = np.array([draws.position])  # the position after each draw, from the start

    def factors(self, start: int, count: int, weight: float) -> npt.NDArray[np.float64]:
        """A free row, then the rows of draws start to start + count, each plus weight."""
        while start + count > len(self.picked):
            self._scan(max(CHOICE_CHUNK, len(self.picked)))
        factors = np.empty((count + 1, self.matrix.shape[1]))
        self.matrix.take(self.picked[start:start + count], axis=0, out=factors[1:])
        factors[1:] += weight
        return factors

    def end(self, used: int) -> int:
        """The stream position after the first `used` draws."""
        return int(self.ends[used])

    def _scan(self, size: int) -> None:
        """Draw from `size` more outputs."""
        start = self.scanned
        bits = self.stream.upto(start + size)[start:start + size] >> self.shift
        accepted = np.flatnonzero(bits < len(self.features))
        self.picked = np.concatenate([self.picked, self.features[bits[accepted]]])
        self.ends = np.concatenate([self.ends, accepted + (start + 1)])
        self.scanned = start + size


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
