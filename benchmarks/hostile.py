"""Time of each station on the hostile documents (worst cases a page can deliver).

    .venv/bin/python benchmarks/hostile.py [--timeout SECONDS] [--case NAME ...]

Each document goes through the stations in the crawl's order (extraction of a plain-text
document, language, relevance, facts, dedup into a fresh temporary store) and the wall time
of each station is printed as a table. A station that runs longer than `--timeout` seconds
(default 60) is interrupted and shown as `> N s` (the stations after it still run).

Cases: `800-counts` (800 counts of children of three kinds, one a sentence), `92kb-counts`
and `276kb-counts` (the same sentences up to 92 KB and 276 KB), `400-digits` (a count of
children written with 400 digits), `100-groups` (110 space-separated three-digit numbers:
one 330-digit number to a reader of grouped digits).
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, quiet_logs, table  # noqa: E402

sys.path.insert(0, str(ROOT))
from monitor.items import Article  # noqa: E402
from monitor.stations import (
    dedup,
    extraction,
    facts,
    language,
    relevance,  # noqa: E402
)
from monitor.stations.profiles import load_profile  # noqa: E402
from monitor.store import Store  # noqa: E402

LEAD = ("Operation Safe Harbor: U.S. Marshals and the Las Cruces Police Department recovered "
        "missing children during a two-week operation in Dona Ana County, officials said.\n")
KINDS = ("recovered", "located", "rescued")
STATIONS = ("extraction", "language", "relevance", "facts", "dedup")


def count_sentences(n: int) -> str:
    """`n` sentences, each one count of children of one kind; all values odd and different,
    so that no two add up to a third (the sum check finds nothing and tries every pair)."""
    return " ".join(f"Officers said {3 + 2 * i} children were {KINDS[i % 3]}." for i in range(n))


def counts_text(size: int) -> str:
    """Count sentences up to `size` characters."""
    sentences = []
    total, i = len(LEAD), 0
    while total < size:
        sentence = f"Officers said {3 + 2 * i} children were {KINDS[i % 3]}. "
        sentences.append(sentence)
        total += len(sentence)
        i += 1
    return LEAD + "".join(sentences)


def big_number_text(number: str) -> str:
    """A report whose count of children is `number`."""
    return (LEAD + f"Agents recovered {number} children during the operation. "
            + "The children were placed with family services and the investigation "
              "continues, the agency said in a statement on Monday. " * 3)


def cases() -> dict[str, str]:
    """The hostile documents by name."""
    return {
        "800-counts": LEAD + count_sentences(800),
        "92kb-counts": counts_text(92_000),
        "276kb-counts": counts_text(276_000),
        "400-digits": big_number_text("7" * 400),
        "100-groups": big_number_text(" ".join(str(100 + i) for i in range(110))),
    }


class StationTimeout(Exception):
    """A station ran longer than the benchmark allows."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    """SIGALRM: interrupt the station."""
    raise StationTimeout


def timed(run: Callable[[], object], timeout: int) -> str:
    """Seconds `run()` takes (`> timeout s` when interrupted, the exception's name on error)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    start = time.perf_counter()
    try:
        run()
    except StationTimeout:
        return f"> {timeout} s"
    except Exception as exc:  # noqa: BLE001 - the benchmark reports what a station raises
        return type(exc).__name__
    finally:
        signal.alarm(0)
    return f"{time.perf_counter() - start:.3f}"


def run_case(name: str, text: str, store: Store, timeout: int) -> list[str]:
    """The time of each station on one document, in the crawl's order."""
    item = Article(url=f"https://example.org/{name}", source="hostile", body=text,
                   content_type="text")
    config = dedup.DedupConfig()
    language._langdetect.cache_clear()  # the cases open alike: detect each one afresh

    def detect() -> None:
        result = language.detect(item.text, "en")
        item.language = result.language

    def classify() -> None:
        result = relevance.classify(item.text, item.title, load_profile(item.language))
        item.relevant = result.relevant

    def read_facts() -> None:
        item.facts = facts.extract_facts(item.text, load_profile(item.language), item.published,
                                         item.title)

    steps = {
        "extraction": lambda: extraction.extract(item),
        "language": detect,
        "relevance": classify,
        "facts": read_facts,
        "dedup": lambda: dedup.decide(store, item, config),
    }
    return [timed(steps[station], timeout) for station in STATIONS]


def main() -> None:
    """Time every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=60, help="seconds a station may run")
    parser.add_argument("--case", action="append", choices=sorted(cases()),
                        help="only this case (repeatable)")
    args = parser.parse_args()
    quiet_logs()
    documents = cases()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "hostile.db")
        for name in args.case or list(documents):
            text = documents[name]
            rows.append([name, f"{len(text) / 1000:.0f} KB",
                         *run_case(name, text, store, args.timeout)])
    print(machine())
    print(table(["case", "size", *(f"{s} (s)" for s in STATIONS)], rows))


if __name__ == "__main__":
    main()
