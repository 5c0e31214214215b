"""CPU cost of story-anchor extraction (`monitor.stations.dedup.anchors.extract_anchors`) on
real news texts.

    .venv/bin/python benchmarks/anchors_speed.py [--limit N]
        [--reference OLD_ANCHORS.py [--numbers-reference OLD_NUMBERS.py]]

Texts: every WMT21 source, reference and system translation, every SemEval-2022 Task 8 article
(with its title) and the five seed documents, each read through its own language profile.
Prints CPU milliseconds per text (time.process_time) per language and overall. With
`--reference` (an older copy of monitor/stations/dedup/anchors.py) both versions run on every
text, their results (keys with display forms in order, lead numbers, years) must be identical,
and the two timings are printed side by side. With `--numbers-reference` (an older copy of
monitor/stations/numbers.py) the reference anchors read numbers through it, and
`monitor.stations.numbers.find_numbers` must also return the same mentions as the old copy on every
text (relevance and facts use it too).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SEMEVAL, WMT21, machine, quiet_logs, table  # noqa: E402

from monitor.stations import numbers  # noqa: E402
from monitor.stations.dedup import anchors
from monitor.stations.language import detect  # noqa: E402
from monitor.stations.profiles import load_profile  # noqa: E402

Extract = Callable[..., Any]


@dataclass(frozen=True)
class Text:
    """One benchmark text: where it came from, its language, title and body."""

    name: str
    lang: str
    title: str | None
    body: str
    published: str | None = None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a gzipped JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        yield from (json.loads(line) for line in fh)


def wmt_texts() -> Iterator[Text]:
    """WMT21 sources, references and hypotheses (title: the first line, as dedup_quality)."""
    for doc in read_jsonl(WMT21):
        target = doc["lang_pair"].split("-")[1]
        texts = [("src", doc["src_lang"], doc["src_text"])]
        texts += [(f"ref-{k}", doc["ref_lang"], t) for k, t in sorted(doc["refs"].items())]
        texts += [(f"hyp-{k}", target, t) for k, t in sorted(doc["hyps"].items())]
        for role, lang, text in texts:
            body = text.strip()
            yield Text(f"wmt/{doc['lang_pair']}/{doc['doc_id']}/{role}", lang,
                       body.split("\n", 1)[0][:160], body)


def semeval_texts() -> Iterator[Text]:
    """Each SemEval article once, with its title."""
    seen: set[str] = set()
    for pair in read_jsonl(SEMEVAL):
        for side in ("1", "2"):
            key = pair[f"id{side}"]
            if key not in seen:
                seen.add(key)
                yield Text(f"semeval/{key}", pair[f"lang{side}"], pair.get(f"title{side}"),
                           pair[f"text{side}"])


def seed_texts() -> Iterator[Text]:
    """The five seed documents, language detected as the pipeline does."""
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        body = path.read_text(encoding="utf-8")
        yield Text(f"seed/{path.stem}", detect(body).language, None, body, "2021-07-21")


def all_texts(limit: int | None) -> list[Text]:
    """The seeds, then SemEval, then WMT21 texts (at most `limit` of the last two each)."""
    texts = list(seed_texts())
    for source in (semeval_texts(), wmt_texts()):
        texts += [t for _, t in zip(range(limit or sys.maxsize), source, strict=False)]
    return texts


def result_of(found: Any) -> tuple[list[tuple[str, str]], set[float], set[int]]:
    """What must not change: keys with display forms (in order), lead numbers and years."""
    return list(found.keys.items()), found.lead_numbers, found.years


def timed(extract: Extract, text: Text) -> tuple[Any, float]:
    """The anchors of `text` and the CPU seconds they took."""
    profile = load_profile(text.lang)
    start = time.process_time()
    found = extract(text.body, text.title, profile, text.published)
    return found, time.process_time() - start


def load_module(name: str, path: Path, numbers_module: ModuleType | None = None) -> ModuleType:
    """An older copy of a monitor module, imported as `name` (reading numbers through
    `numbers_module` when given)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    if numbers_module is not None:
        sys.modules["monitor.stations.numbers"] = numbers_module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules["monitor.stations.numbers"] = numbers
    return module


@dataclass
class Reference:
    """Older copies of the modules to check against (either may be missing)."""

    anchors: ModuleType | None = None
    numbers: ModuleType | None = None


def numbers_differ(text: Text, reference: ModuleType) -> bool:
    """Whether the reference numbers module reads `text` (with its title) differently."""
    profile = load_profile(text.lang)
    body = f"{text.title}\n{text.body}" if text.title else text.body
    return mentions(numbers.find_numbers(body, profile)) != mentions(
        reference.find_numbers(body, profile))


def mentions(found: list[Any]) -> list[tuple[int, int, int, str]]:
    """Number mentions as plain tuples (the two modules' classes never compare equal)."""
    return [(m.value, m.start, m.end, m.text) for m in found]


def run(texts: list[Text], reference: Reference) -> tuple[dict[str, list[float]],
                                                          dict[str, list[float]], int]:
    """CPU seconds per language for the current (and reference) version; differing texts."""
    current: dict[str, list[float]] = defaultdict(list)
    old: dict[str, list[float]] = defaultdict(list)
    differences = 0
    for text in texts:
        found, seconds = timed(anchors.extract_anchors, text)
        current[text.lang].append(seconds)
        different = reference.numbers is not None and numbers_differ(text, reference.numbers)
        if reference.anchors is not None:
            expected, seconds = timed(reference.anchors.extract_anchors, text)
            old[text.lang].append(seconds)
            different = different or result_of(found) != result_of(expected)
        if different:
            differences += 1
            print(f"DIFFERENT: {text.name} ({text.lang})")
    return current, old, differences


def ms(seconds: list[float]) -> float:
    """Mean milliseconds."""
    return 1000 * sum(seconds) / len(seconds) if seconds else float("nan")


def report(current: dict[str, list[float]], old: dict[str, list[float]]) -> None:
    """A table of CPU ms per text by language (and the reference's, when it ran)."""
    headers = ["language", "texts", "CPU ms/text"]
    if old:
        headers += ["reference ms/text", "speed-up"]
    rows = []
    for lang in [*sorted(current), "all"]:
        now = current[lang] if lang != "all" else [s for v in current.values() for s in v]
        row: list[object] = [lang, len(now), ms(now)]
        if old:
            before = old[lang] if lang != "all" else [s for v in old.values() for s in v]
            row += [ms(before), ms(before) / ms(now)]
        rows.append(row)
    print(table(headers, rows))


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="at most N SemEval and N WMT21 texts")
    parser.add_argument("--reference", type=Path, help="an older anchors.py to compare with")
    parser.add_argument("--numbers-reference", type=Path,
                        help="an older numbers.py (used by the reference anchors too)")
    args = parser.parse_args()
    quiet_logs()
    texts = all_texts(args.limit)
    reference = Reference()
    if args.numbers_reference:
        reference.numbers = load_module("numbers_reference", args.numbers_reference)
    if args.reference:
        reference.anchors = load_module("anchors_reference", args.reference, reference.numbers)
    current, old, differences = run(texts, reference)
    print(f"{len(texts)} texts; {machine()}; CPU time (time.process_time)\n")
    report(current, old)
    if args.reference or args.numbers_reference:
        checked = " and ".join(str(p) for p in (args.reference, args.numbers_reference) if p)
        print(f"\nidentity check against {checked}: {differences} differences "
              f"over {len(texts)} texts")
        if differences:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
