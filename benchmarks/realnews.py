"""Real-news development corpus: the corpus's own score.py run on this checkout.

    .venv/bin/python benchmarks/realnews.py [--texts FILE] [--corpus DIR] [--pairs] [--keep DIR]

score.py writes each labelled article with a collected text as a file, crawls them with
`scrapy crawl files` into a fresh database and prints B-cubed story clusters, relevance and
language figures; this script only finds it, checks the texts exist, times the run and
removes the documents afterwards (the texts are third-party content) unless --keep is given.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "realnews-dev"
TEXTS = Path("~/.cache/news-monitor/realnews-dev.jsonl")
PYTHON = ROOT / ".venv" / "bin" / "python"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: corpus and texts paths, and what score.py takes through."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help=f"the corpus folder with score.py (default: {CORPUS})")
    parser.add_argument("--texts", type=Path, default=TEXTS,
                        help=f"collected excerpts, JSON lines {{id, excerpt}} (default: {TEXTS})")
    parser.add_argument("--pairs", action="store_true", help="list split and wrongly joined pairs")
    parser.add_argument("--keep", type=Path, help="keep the documents and database here")
    return parser.parse_args(argv)


def command(corpus: Path, texts: Path, pairs: bool, keep: Path | None) -> list[str]:
    """The score.py command line, run with the project's .venv python."""
    cmd = [str(PYTHON), str(corpus / "score.py"), "--texts", str(texts), "--project", str(ROOT)]
    if pairs:
        cmd.append("--pairs")
    if keep:
        cmd += ["--keep", str(keep.resolve())]
    return cmd


def main(argv: list[str] | None = None) -> int:
    """Check the inputs, run score.py (its figures go straight to stdout) and print the time."""
    args = parse_args(argv)
    corpus, texts = args.corpus.expanduser().resolve(), args.texts.expanduser()
    if not (corpus / "score.py").is_file():
        raise SystemExit(f"realnews: no score.py in {corpus} (give the corpus with --corpus)")
    if not texts.is_file():
        raise SystemExit(f"realnews: no texts at {texts}: collect them once as "
                         f"{corpus / 'README.md'} says (\"The texts\"), or pass --texts FILE")
    start = time.perf_counter()
    if args.keep:
        code = score(command(corpus, texts, args.pairs, args.keep), keep=True)
    else:
        with tempfile.TemporaryDirectory(prefix="realnews-dev-") as tmp:
            code = score(command(corpus, texts, args.pairs, Path(tmp)), keep=False)
    print(f"runtime {time.perf_counter() - start:.1f} s")
    return code


def score(cmd: list[str], keep: bool) -> int:
    """Run score.py and print its figures (its folder only when it is kept)."""
    run = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in run.stdout.splitlines():
        if keep or not line.startswith("documents and database:"):
            print(line)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
