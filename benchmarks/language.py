"""Language identification: our language station vs bare langdetect, per language.

Sets: lingua single sentences (median ~96 characters), lingua sentences joined into
~1,000-character paragraphs, and WMT21 news documents (sources and human translations,
article length). First, on every text of the three sets cut to the station's sample:
does monitor.stations.langdetect_fast answer exactly as langdetect.detect_langs (same languages,
same probabilities bit for bit), and at what CPU cost per text for each.
Usage: .venv/bin/python benchmarks/language.py [--per-language N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import langdetect
from _common import LINGUA, WMT21, machine, table
from langdetect import DetectorFactory
from langdetect import detect as langdetect_detect
from langdetect.lang_detect_exception import LangDetectException
from langdetect.language import Language

from monitor.stations import langdetect_fast, language

logger = logging.getLogger(__name__)

LANGUAGES = ["en", "es", "fr", "pt", "de", "it", "nl", "pl", "tr", "ru", "ar", "zh", "is", "ja"]
PARAGRAPH_SENTENCES = 10
UNSUPPORTED = {"is"}  # langdetect has no Icelandic profile: shows what the station does then


@dataclass(frozen=True)
class Score:
    """Accuracy (undecided counts as wrong), share undecided, accuracy among decided."""

    accuracy: float
    undecided: float
    when_decided: float


Sample = tuple[str, str]  # (gold language, text)
Answer = list[tuple[str, float]] | str  # languages with probabilities, or langdetect's error


def lingua_sentences(per_language: int) -> list[Sample]:
    """The first `per_language` test sentences of each language."""
    samples = []
    for lang in LANGUAGES:
        with gzip.open(LINGUA / f"{lang}.txt.gz", "rt", encoding="utf-8") as fh:
            lines = [line.strip() for line in fh if line.strip()]
        samples += [(lang, line) for line in lines[:per_language]]
    return samples


def lingua_paragraphs(per_language: int) -> list[Sample]:
    """Consecutive sentences joined into paragraphs of about 1,000 characters."""
    samples = []
    for lang in LANGUAGES:
        with gzip.open(LINGUA / f"{lang}.txt.gz", "rt", encoding="utf-8") as fh:
            lines = [line.strip() for line in fh if line.strip()]
        for i in range(0, min(len(lines), per_language * PARAGRAPH_SENTENCES),
                       PARAGRAPH_SENTENCES):
            samples.append((lang, " ".join(lines[i:i + PARAGRAPH_SENTENCES])))
    return samples


def wmt_documents() -> list[Sample]:
    """WMT21 source documents and their human translations, each text once."""
    seen, samples = set(), []
    with gzip.open(WMT21, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            texts = [(doc["src_lang"], doc["src_text"])]
            texts += [(doc["ref_lang"], ref) for ref in doc["refs"].values()]
            for lang, text in texts:
                if (lang, text) not in seen:
                    seen.add((lang, text))
                    samples.append((lang, text))
    return samples


def ours(text: str) -> str:
    """The language our station stores (no hint: `und` when unsure)."""
    return language.detect(text).language


def bare(text: str) -> str:
    """langdetect.detect as is (seeded), its code cut to ISO 639-1."""
    try:
        return langdetect_detect(text).split("-")[0]
    except LangDetectException:
        return "und"


def evaluate(samples: list[Sample], fn: Callable[[str], str]) -> tuple[dict[str, Score], float]:
    """Per gold language: accuracy, share undecided, accuracy when decided; CPU ms per text."""
    answers: dict[str, list[str]] = defaultdict(list)
    start = time.process_time()
    for gold, text in samples:
        answers[gold].append(fn(text))
    elapsed = time.process_time() - start
    scores = {}
    for gold, got in answers.items():
        decided = [x for x in got if x != "und"]
        scores[gold] = Score(statistics.fmean(x == gold for x in got),
                             1 - len(decided) / len(got),
                             statistics.fmean(x == gold for x in decided) if decided else 0.0)
    return scores, 1000 * elapsed / len(samples)


def report(title: str, samples: list[Sample]) -> None:
    """Print one set's table: per-language figures of both systems, plus the means."""
    ours_by, ms_ours = evaluate(samples, ours)
    bare_by, ms_bare = evaluate(samples, bare)
    langs = [lang for lang in LANGUAGES if lang in ours_by]
    lengths = sorted(len(text) for _, text in samples)
    print(f"\n{title}: {len(samples)} texts, median {lengths[len(lengths) // 2]} characters")
    rows = []
    for lang in langs:
        o, b = ours_by[lang], bare_by[lang]
        name = lang if lang not in UNSUPPORTED else f"{lang} (not in langdetect)"
        rows.append((name, sum(g == lang for g, _ in samples), o.accuracy, o.undecided,
                     o.when_decided, b.accuracy))
    mean = [x for x in langs if x not in UNSUPPORTED]
    rows.append((f"mean of {len(mean)} supported", "",
                 statistics.fmean(ours_by[x].accuracy for x in mean),
                 statistics.fmean(ours_by[x].undecided for x in mean),
                 statistics.fmean(ours_by[x].when_decided for x in mean),
                 statistics.fmean(bare_by[x].accuracy for x in mean)))
    rows.append(("CPU ms/text", "", f"{ms_ours:.2f}", "", "", f"{ms_bare:.2f}"))
    print(table(["language", "n", "station accuracy", "station undecided",
                 "station accuracy when decided", "langdetect (bare) accuracy"], rows))


def answers(detect_langs: Callable[[str], list[Language]],
            texts: list[str]) -> tuple[list[Answer], float]:
    """Each text's languages and probabilities (or the error); CPU ms per text."""
    found: list[Answer] = []
    start = time.process_time()
    for text in texts:
        try:
            found.append([(x.lang, x.prob) for x in detect_langs(text)])
        except LangDetectException as error:
            found.append(str(error))
    return found, 1000 * (time.process_time() - start) / len(texts)


def identity_row(title: str, samples: list[Sample]) -> tuple[str, int, int, str, str, str]:
    """One set: texts, how many answers differ from langdetect's, CPU ms/text of each."""
    texts = [text[:language.SAMPLE_CHARS] for _, text in samples]
    reference, ms_reference = answers(langdetect.detect_langs, texts)
    fast, ms_fast = answers(langdetect_fast.detect_langs, texts)
    differ = sum(a != b for a, b in zip(reference, fast, strict=True))
    return (title, len(texts), differ, f"{ms_reference:.2f}", f"{ms_fast:.2f}",
            f"{ms_reference / ms_fast:.1f}x")


def identity(sets: dict[str, list[Sample]]) -> None:
    """Print the identity table; exit with an error if any answer differs."""
    rows = [identity_row(title, samples) for title, samples in sets.items()]
    print(f"\nlangdetect_fast vs langdetect.detect_langs (seed 0), every text cut to "
          f"{language.SAMPLE_CHARS} characters; CPU time (process_time)")
    print(table(["set", "texts", "answers differing", "langdetect CPU ms/text",
                 "langdetect_fast CPU ms/text", "speed-up"], rows))
    if any(row[2] for row in rows):
        raise SystemExit("langdetect_fast differs from langdetect")


def main() -> None:
    """Run the three sets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-language", type=int, default=300,
                        help="sentences (and paragraphs) per language")
    args = parser.parse_args()
    DetectorFactory.seed = 0
    language.detect("warm up the language profiles before timing anything")
    print(f"Language identification; {machine()}; station defaults: min_chars=40, "
          f"min_confidence=0.80, sample {language.SAMPLE_CHARS} chars; "
          "'und' (undecided) counts as wrong")
    sets = {"lingua sentences": lingua_sentences(args.per_language),
            f"lingua paragraphs ({PARAGRAPH_SENTENCES} sentences)":
                lingua_paragraphs(args.per_language // PARAGRAPH_SENTENCES * 3 or 1),
            "WMT21 news documents (sources + human translations)": wmt_documents()}
    identity(sets)
    for title, samples in sets.items():
        report(title, samples)


if __name__ == "__main__":
    main()
