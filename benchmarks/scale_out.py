"""Scaling out: 1, 2 and 4 crawler workers with one store writer over a local multi-host site.

The script serves a site of `--hosts` hosts (127.0.0.2, 127.0.0.3, ...: one HTTP server per
loopback address, so Scrapy sees distinct domains with their own politeness slots) of
`--pages` article pages in all (crawl_throughput.py's pages: lingua test sentences in six
languages, every fifth page a near copy of an earlier one), one sitemap and one robots.txt per
host, and starts its own redis-server. For each worker count it starts `monitor
store-writer` and N `scrapy crawl sitemaps` workers (MONITOR_REDIS_URL set) into a fresh store,
samples the queue depth and each process's peak memory every second, and reports pages per
second (first request to last article stored), the writer's cost per article, the queue depth
over time and peak memory. Politeness as shipped except AutoThrottle (off: the site is local).

Usage: .venv/bin/python benchmarks/scale_out.py [--pages 5000] [--hosts 50] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
import yaml
from _common import ROOT, machine, table
from crawl_throughput import build_site, serve

BIN = Path(sys.executable).parent
WORKER_SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO",
                   "-s", "MONITOR_CONTACT=benchmark@localhost"]


# ----- the site -----

def host_pages(site: dict[str, bytes], hosts: int) -> list[dict[str, bytes]]:
    """crawl_throughput's article pages dealt out to `hosts` hosts, each with a sitemap."""
    pages = sorted((p for p in site if p.startswith("/news/")),
                   key=lambda p: int(p[6:-5]))
    out: list[dict[str, bytes]] = [{} for _ in range(hosts)]
    for i, path in enumerate(pages):
        out[i % hosts][path] = site[path]
    for content in out:
        urls = "".join(f"<url><loc>{{base}}{p}</loc></url>" for p in content)
        content["/sitemap.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
            f'schemas/sitemap/0.9">{urls}</urlset>').encode()
        content["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return out


def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- the runs -----

def peak_kb(pid: int) -> int:
    """A live process's peak resident memory (VmHWM), in kB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found.group(1)) if found else 0


def run(workers: int, sources: Path, redis_url: str, tmp: Path, pages: int) -> dict[str, Any]:
    """One writer and `workers` workers into a fresh store; the figures of the run."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    db = tmp / f"scale-{workers}.db"
    log = open(tmp / f"scale-{workers}.log", "w")  # noqa: SIM115 - closed below
    writer = subprocess.Popen([str(BIN / "monitor"), "--db", str(db), "store-writer", "--redis",
                               redis_url, "--drain"], cwd=ROOT, stdout=log, stderr=log)
    time.sleep(1.0)  # the writer is up (the store created, the mirrors rebuilt)
    start = time.perf_counter()
    crawlers = [subprocess.Popen([str(BIN / "scrapy"), "crawl", "sitemaps", "-s",
                                  f"MONITOR_REDIS_URL={redis_url}", "-s", f"MONITOR_DB={db}",
                                  "-s", f"MONITOR_SOURCES={sources}", *WORKER_SETTINGS],
                                 cwd=ROOT, stdout=log, stderr=log) for _ in range(workers)]
    depth: list[tuple[float, int]] = []
    peaks = {p.pid: 0 for p in [writer, *crawlers]}
    stored_at = None
    while writer.poll() is None:
        depth.append((time.perf_counter() - start, int(client.llen("monitor:items"))))
        for pid in peaks:
            peaks[pid] = max(peaks[pid], peak_kb(pid))
        if stored_at is None and stored(db) >= pages:
            stored_at = time.perf_counter() - start
        time.sleep(1.0)
    for proc in crawlers:
        proc.wait()
    log.close()
    text = (tmp / f"scale-{workers}.log").read_text()
    summary = re.search(r"store-writer: .*?([\d.]+) ms per article", text)
    if writer.returncode or summary is None or any(p.returncode for p in crawlers):
        raise SystemExit(f"run with {workers} workers failed:\n{text[-3000:]}")
    wall = stored_at or depth[-1][0]
    return {"workers": workers, "stored": stored(db), "wall": wall, "rate": stored(db) / wall,
            "article_ms": float(summary.group(1)), "depth": depth,
            "writer_mb": peaks[writer.pid] / 1024,
            "worker_mb": max(peaks[p.pid] for p in crawlers) / 1024}


def stored(db: Path) -> int:
    """Articles in the store so far."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def depth_profile(depth: list[tuple[float, int]], points: int = 8) -> str:
    """The queue depth at evenly spaced moments of the run."""
    if not depth:
        return "-"
    step = max(1, len(depth) // points)
    return " ".join(str(d) for _, d in depth[::step][:points])


def main() -> None:
    """Serve the site, start Redis, run each worker count, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--keep", action="store_true", help="keep the stores and logs")
    args = parser.parse_args()
    port = free_port()
    contents = host_pages(build_site(args.pages), args.hosts)
    servers = [serve(c, f"127.0.0.{i + 2}", port) for i, c in enumerate(contents)]
    results = []
    with tempfile.TemporaryDirectory(prefix="monitor-scale-") as name:
        tmp = Path(name)
        sources = tmp / "sources.yml"
        sources.write_text(yaml.safe_dump({"sources": [
            {"name": f"host{i}", "kind": "sitemap", "url": f"http://127.0.0.{i + 2}:{port}"
             "/sitemap.xml", "language": "en", "allowed_domains": [f"127.0.0.{i + 2}"]}
            for i in range(args.hosts)]}))
        redis_port = free_port()
        server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port",
                                   str(redis_port), "--bind", "127.0.0.1", "--dir", name,
                                   "--save", "", "--appendonly", "no"],
                                  stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            for n in args.workers:
                results.append(run(n, sources, f"redis://127.0.0.1:{redis_port}/0", tmp,
                                   args.pages))
        finally:
            if args.keep:
                shutil.copytree(name, name + "-kept")
            server.terminate()
            for s in servers:
                s.shutdown()
    print(f"Scale out: {args.pages} pages over {args.hosts} hosts; {machine()}; site, Redis, "
          "workers and writer on the same machine")
    print(table(["workers", "stored", "s (to last stored)", "pages/s", "writer ms/article",
                 "peak queue", "writer peak MB", "worker peak MB"],
                [(r["workers"], r["stored"], f"{r['wall']:.1f}", f"{r['rate']:.1f}",
                  f"{r['article_ms']:.1f}", max(d for _, d in r["depth"]),
                  f"{r['writer_mb']:.0f}", f"{r['worker_mb']:.0f}") for r in results]))
    print("\nQueue depth (messages waiting), sampled at even moments of each run:")
    for r in results:
        print(f"  {r['workers']} worker(s): {depth_profile(r['depth'])}")


if __name__ == "__main__":
    main()
