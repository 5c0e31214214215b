"""Pipeline throughput: every station, in pipeline order, into a real store, vs bare trafilatura.

The Zyte pages are written as files, each in VARIANTS near-duplicate variants (a sentence
added, a paragraph dropped, a different sidebar, no canonical URL), so dedup sees near
copies, not exact ones.
Each side runs in its own fresh interpreter, so start-up (imports, langdetect profiles,
schema migrations) is included; rounds alternate the two sides and the best round counts.

Usage: .venv/bin/python benchmarks/throughput.py [--variants 4] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Page, machine, quiet_logs, table, zyte_pages

logger = logging.getLogger(__name__)

PARAGRAPH = re.compile(r"<p[ >].*?</p>", re.S | re.I)
BODY_OPEN = re.compile(r"<body[^>]*>", re.I)
CANONICAL = re.compile(r"<link[^>]*rel=[\"']?canonical[^>]*>|<meta[^>]*og:url[^>]*>", re.I)


# ----- the corpus -----

def variant(html: str, k: int) -> str:
    """Variant `k` of a page: 0 as is; others add a sentence, drop a paragraph, etc."""
    if k == 0:
        return html
    html = CANONICAL.sub("", html)  # a copy elsewhere has its own URL, not the original's
    paragraphs = list(PARAGRAPH.finditer(html))
    if k % 2 == 0 and len(paragraphs) > 3:  # the third paragraph dropped
        html = html[:paragraphs[2].start()] + html[paragraphs[2].end():]
        paragraphs = list(PARAGRAPH.finditer(html))
    if paragraphs:  # a sentence added inside the middle paragraph
        end = paragraphs[len(paragraphs) // 2].end() - len("</p>")
        note = f" Officials said more details would be released later (update {k})."
        html = html[:end] + note + html[end:]
    sidebar = (f'<div class="sidebar"><a href="/trending/{k}">Trending now {k}</a>'
               f'<a href="/newsletter">Sign up for our newsletter</a></div>')
    return BODY_OPEN.sub(lambda m: m.group(0) + sidebar, html, count=1)


def write_corpus(pages: list[Page], variants: int, directory: Path) -> list[Path]:
    """The pages as .html files, every variant of a page in a row."""
    paths = []
    for page in pages:
        for k in range(variants):
            path = directory / f"{page.id[:16]}-v{k}.html"
            path.write_text(variant(page.html, k), encoding="utf-8")
            paths.append(path)
    return paths


# ----- the two workers (each in its own interpreter) -----

def worker_bare(paths: list[Path]) -> dict[str, Any]:
    """trafilatura.extract over the files, as a user of trafilatura alone would."""
    import trafilatura
    chars = 0
    for path in paths:
        chars += len(trafilatura.extract(path.read_text(encoding="utf-8")) or "")
    return {"chars": chars}


def worker_pipeline(paths: list[Path], db: Path) -> dict[str, Any]:
    """Read, extract, detect language, relevance, facts, dedup, store: as pipelines.py does."""
    from collections import Counter

    from monitor.items import Article
    from monitor.stations.documents import decode_document
    from monitor.store import Store
    store = Store(db)
    stations = Stations()
    outcomes: Counter[str] = Counter()
    for path in paths:
        decoded = decode_document(path.read_bytes(), path.name)
        item = Article(url=path.as_uri(), source="bench", body=decoded.body,
                       content_type=decoded.content_type)
        outcomes[stations.process(item, store)] += 1
    summary = {"outcomes": dict(outcomes), "station_seconds": stations.seconds}
    store.close()
    return summary


class Stations:
    """The stations of monitor.crawl.pipelines, called directly and timed one by one."""

    def __init__(self) -> None:
        """Read the MONITOR_* defaults the Scrapy pipelines read."""
        from monitor import settings
        self.settings = settings
        self.seconds: dict[str, float] = {}
        self.dedup_config = _dedup_config(settings)

    def process(self, item: Any, store: Any) -> str:
        """One article through every station, timed; its outcome (stored how, or dropped where)."""
        from monitor.stations import dedup, extraction, facts, language, relevance
        from monitor.stations.profiles import load_profile
        s = self.settings
        try:
            self._timed("extraction", extraction.extract, item, s.MONITOR_MIN_TEXT_CHARS)
        except extraction.ExtractionError:
            return "dropped/extraction"
        result = self._timed("language", language.detect, item.text, item.hints.get("language"),
                             s.MONITOR_LANGUAGE_MIN_CHARS, s.MONITOR_LANGUAGE_MIN_CONFIDENCE)
        item.language, item.language_confidence = result.language, result.confidence
        item.language_route = result.route
        if not item.published:
            languages = [item.language] if result.profile != "neutral" else None
            item.published = self._timed("date_from_text", extraction.find_text_date,
                                         item.text, languages)
            item.date_source = "text" if item.published else None
        profile = load_profile(item.language)
        rel = self._timed("relevance", relevance.classify, item.text, item.title, profile)
        item.topic, item.relevance, item.relevance_terms = rel.topic, rel.score, rel.terms
        item.relevant = rel.relevant
        if item.relevant:
            item.facts = self._timed("facts", facts.extract_facts, item.text, profile)
        if hasattr(dedup, "decide"):
            item.dedup = self._timed("dedup", dedup.decide, store, item, self.dedup_config)
        saved = self._timed("store", store.save_article, item)
        return f"{saved.outcome}/{item.dedup.method if item.dedup else None}"

    def _timed(self, name: str, fn: Any, *args: Any) -> Any:
        """Call `fn` and add its time to the station's total."""
        start = time.process_time()
        try:
            return fn(*args)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.process_time() - start


def _dedup_config(settings: Any) -> Any:
    """dedup.DedupConfig from the MONITOR_DEDUP_* settings (None if dedup has none)."""
    from monitor.stations import dedup
    if not hasattr(dedup, "DedupConfig"):
        return None
    return dedup.DedupConfig(
        near_copy_threshold=settings.MONITOR_DEDUP_NEAR_COPY_THRESHOLD,
        story_threshold=float(settings.MONITOR_DEDUP_STORY_THRESHOLD or "nan") if
        settings.MONITOR_DEDUP_STORY_THRESHOLD else None,
        window_days=settings.MONITOR_DEDUP_WINDOW_DAYS,
    )


def worker_main(kind: str, listing: Path, db: Path) -> None:
    """Entry point of a worker interpreter: run, then print its figures as JSON."""
    start = time.perf_counter()
    quiet_logs()
    paths = [Path(line) for line in listing.read_text().splitlines()]
    result = worker_bare(paths) if kind == "bare" else worker_pipeline(paths, db)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["seconds_in_process"] = time.perf_counter() - start
    result["cpu"] = usage.ru_utime + usage.ru_stime  # since the interpreter started
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    print(json.dumps(result))


# ----- the driver -----

def run_worker(kind: str, listing: Path, db: Path, profile: bool = False) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; wall time includes its start-up."""
    db.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--worker", kind, str(listing), str(db)]
    if profile:
        cmd = [sys.executable, "-m", "pyinstrument", "-r", "session",
               "-o", str(db.with_suffix(".pyisession")), *cmd[1:]]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main() -> None:
    """Write the corpus, run both sides in alternation, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=4, help="variants of each page")
    parser.add_argument("--limit", type=int, default=None, help="first N Zyte pages only")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating rounds; best counts (the machine's noise is +-15%%)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the pipeline once under pyinstrument and print its top")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return
    with tempfile.TemporaryDirectory(prefix="monitor-throughput-") as tmp:
        directory = Path(tmp)
        paths = write_corpus(zyte_pages(args.limit), args.variants, directory)
        listing = directory / "files.txt"
        listing.write_text("\n".join(str(p) for p in paths))
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "pipeline": []}
        for _ in range(args.rounds):
            for kind in runs:
                runs[kind].append(run_worker(kind, listing, directory / "bench.db"))
        print_report(runs, len(paths), args.variants)
        if args.profile:
            run_worker("pipeline", listing, directory / "profile.db", profile=True)
            print_profile(directory / "profile.pyisession")


def print_report(runs: dict[str, list[dict[str, Any]]], n: int, variants: int) -> None:
    """The throughput table, the station breakdown and the outcomes."""
    best = {kind: min(r, key=lambda x: x["cpu"]) for kind, r in runs.items()}
    print(f"Throughput: {n} files ({n // variants} Zyte pages x {variants} variants); "
          f"{machine()}; best of {len(runs['bare'])} alternating rounds (by CPU time)")
    rows = []
    for kind, label in (("bare", "trafilatura.extract loop"),
                        ("pipeline", "monitor pipeline (all stations + store)")):
        r = best[kind]
        rows.append((label, f"{r['cpu']:.1f}", f"{n / r['cpu']:.1f}", f"{r['wall']:.1f}",
                     f"{n / r['wall']:.1f}", f"{r['peak_rss_mb']:.0f}",
                     " / ".join(f"{x['cpu']:.1f}" for x in runs[kind])))
    print(table(["run", "CPU s", "pages/CPU s", "wall s", "pages/s (wall)", "peak RSS MB",
                 "CPU s, all rounds"], rows))
    cpu = best["pipeline"]["cpu"] / best["bare"]["cpu"]
    wall = best["pipeline"]["wall"] / best["bare"]["wall"]
    paired = sorted(p["cpu"] / b["cpu"] for p, b in zip(runs["pipeline"], runs["bare"],
                                                         strict=True))
    print(f"\nratio pipeline / bare, start-up included: CPU {cpu:.2f}, wall {wall:.2f} "
          "(target <= 1.3)")
    print("CPU ratio of each round (pipeline / the bare run just before it): "
          + " / ".join(f"{r:.2f}" for r in paired) + f"; median {paired[len(paired) // 2]:.2f}")
    seconds = best["pipeline"]["station_seconds"]
    seconds["start-up, reading files, other"] = best["pipeline"]["cpu"] - sum(seconds.values())
    print("\n" + table(["pipeline part", "CPU ms/page", "share of pipeline CPU"],
                       [(k, f"{1000 * v / n:.2f}", f"{v / best['pipeline']['cpu']:.0%}")
                        for k, v in seconds.items()]))
    print("\noutcomes (stored/dedup method):", json.dumps(best["pipeline"]["outcomes"]))


def print_profile(session: Path, lines: int = 25) -> None:
    """The top of pyinstrument's flat profile, by total and by own time."""
    for mode in ("total", "self"):
        out = subprocess.run(
            [sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", "text",
             "-p", "flat=true", "-p", f"flat_time={mode}", "-p", "show_all=true"],
            capture_output=True, text=True, check=True).stdout
        # pyinstrument books time it cannot place in a function as "[self]" of the script
        body = [line for line in out.splitlines()
                if line.strip() and not line.endswith("[self]  throughput.py")]
        print(f"\npyinstrument, pipeline run, flat profile by {mode} time (top {lines}):")
        print("\n".join(body[:lines + 5]))


if __name__ == "__main__":
    main()
