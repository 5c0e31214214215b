"""The `monitor` command: summaries, stats and serving the store."""

from __future__ import annotations

import ctypes
import getpass
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from monitor import review, settings
from monitor.review import reviewers
from monitor.store import Store, StoreError, store_error

TRUNCATE_CELLS = 300  # characters of a table cell Datasette shows (the row page shows all)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # prctl(2)


# Largest id SQLite stores (a bigger integer cannot even be bound as a parameter).
MAX_ID = 2**63 - 1
ID = click.IntRange(1, MAX_ID)
# Control characters (C0 but tab and newline, DEL, C1) and bidirectional overrides: crawled
# titles, URLs and reasons must not move the cursor, recolour or rewrite the terminal.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without control characters (tab and newline kept)."""
    return CONTROL.sub("", text)


def echo(text: str) -> None:
    """Print `text` to the terminal without its control characters."""
    click.echo(printable(text))


def open_store(db: str, read_only: bool = False) -> Store:
    """Open an existing store (read-only: SQLite mode=ro, never migrated, and refused unless
    it is a monitor store), or fail with a one-line user error."""
    if not Path(db).exists():
        raise click.ClickException(f"no store at {db}: run a crawl first (make run)")
    try:
        if read_only:
            return Store.open_read_only(db, settings.MONITOR_DB_BUSY_SECONDS)
        return Store(db, settings.MONITOR_DB_BUSY_SECONDS)
    except StoreError as exc:
        raise click.ClickException(printable(str(exc))) from exc


class StoreGroup(click.Group):
    """A click group whose commands report an SQLite error (read-only, locked) in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an SQLite error becomes a ClickException."""
        try:
            return super().invoke(ctx)
        except sqlite3.Error as exc:
            error = store_error(ctx.params.get("db", "?"), exc, settings.MONITOR_DB_BUSY_SECONDS)
            raise click.ClickException(str(error)) from exc


@click.group(cls=StoreGroup)
@click.option("--db", default=settings.MONITOR_DB, show_default=True,
              help="Path of the SQLite store (MONITOR_DB).")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """Review and inspect the news monitor's store.

    Example: monitor --db storage/monitor.db summary
    """
    ctx.obj = {"db": db}


@cli.command()
@click.pass_context
def summary(ctx: click.Context) -> None:
    """Print the last run's summary: articles by language, clusters, errors.

    Example: monitor summary
    """
    db = ctx.obj["db"]
    store = open_store(db, read_only=True)
    data = store.summary(store.last_run_id())
    store.close()
    echo(format_summary(db, data))


def format_summary(db: str, data: dict[str, Any]) -> str:
    """The summary as text."""
    run = data.get("run") or {}
    langs = ", ".join(f"{k} {v}" for k, v in data["by_language"].items()) or "none"
    lines = [
        f"Last run: {run.get('spider', '-')} #{run.get('id', '-')} "
        f"({run.get('finish_reason', '-')}): {run.get('articles_new') or 0} new, "
        f"{run.get('articles_updated') or 0} updated, "
        f"{run.get('articles_unchanged') or 0} unchanged, "
        f"{run.get('fetch_errors') or 0} errors",
        f"Articles: {data['articles']} ({langs}); operation reports: {data['relevant']}",
        f"Clusters: {data['clusters']} ({data['multi_clusters']} with several articles)",
    ]
    for error in data.get("errors", []):
        lines.append(f"  error [{error['stage']}] {shorten(error['url'], 200)}: "
                     f"{shorten(error['reason'], 300)}")
    lines += [f"Database: {os.path.abspath(db)}",
              f"Explore it: monitor --db {db} serve   (then open http://127.0.0.1:8001)"]
    return "\n".join(lines)


@cli.command()
@click.option("--run", "run_id", type=ID, help="The run to show (default: the newest).")
@click.option("--source", help="Show this source's history instead, one line per run.")
@click.option("--runs", "limit", default=5, show_default=True, type=click.IntRange(1, 10_000),
              help="How many recent runs (or source rows) to list.")
@click.pass_context
def stats(ctx: click.Context, run_id: int | None, source: str | None, limit: int) -> None:
    """Per-source health of a crawl run against earlier runs; flags sources that collapsed.

    Flags: no_items, mostly_errors, dates_missing. Columns: requests, responses, listings
    answered 304, articles skipped as fresh, new / updated / unchanged / dropped, fetch
    errors, and the shares of articles with a date, a language and a body.

    Examples: monitor stats; monitor stats --run 12; monitor stats --source ktsm --runs 10
    """
    from monitor.crawl import health

    store = open_store(ctx.obj["db"], read_only=True)
    try:
        if source:
            echo(health.format_history(store, source, limit))
            return
        run = store.db["crawl_runs"].get(run_id) if run_id else next(iter(store.runs(1)), None)
        if run is None:
            raise click.ClickException("no crawl runs yet: run a crawl first")
        echo(health.format_run(store, run))
        echo(health.format_runs(store.runs(limit)))
    except sqlite_utils.db.NotFoundError as exc:
        raise click.ClickException(f"no run {run_id}") from exc
    finally:
        store.close()


@cli.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="Port on 127.0.0.1.")
@click.pass_context
def serve(ctx: click.Context, port: int) -> None:
    """Open the store in Datasette on 127.0.0.1: the project's metadata, long texts cut in
    tables (whole on an article's page), and sign-in for the store's reviewers.

    SIGTERM, SIGINT or SIGHUP stops the server. Example: monitor serve --port 8001
    """
    db = ctx.obj["db"]
    open_store(db, read_only=True).close()
    command = [sys.executable, "-m", "datasette", "serve", db, "-h", "127.0.0.1",
               "-p", str(port), "--setting", "truncate_cells_html", str(TRUNCATE_CELLS)]
    if not reviewers.listed(db):
        click.echo("No reviewers: anyone may read, nobody can act "
                   "(add one with: monitor reviewers add NAME).", err=True)
    raise SystemExit(run_server(command))


def _stop_with_parent() -> None:
    """In the server's process: ask Linux to send it SIGTERM when this process dies, even of
    SIGKILL, which cannot be passed on (elsewhere nothing happens)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def run_server(command: list[str]) -> int:
    """Run a server as a child process until it exits; a stopping signal sent to this process
    (SIGTERM, SIGINT, SIGHUP) is passed on to it, so it never outlives this one. Returns 0
    when it stopped on such a signal, else its exit status (128 + N for a signal N)."""
    child = subprocess.Popen(command, preexec_fn=_stop_with_parent)
    passed: list[int] = []

    def pass_on(signum: int, _frame: Any) -> None:
        if child.poll() is None:
            passed.append(signum)
            child.send_signal(signum)

    previous = {s: signal.signal(s, pass_on) for s in STOP_SIGNALS}
    try:
        status = child.wait()
        if status < 0:  # uvicorn stops gracefully, then dies of the signal it was sent
            return 0 if -status in passed else 128 - status
        return status
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=30)


# ----- reviewers -----


@cli.group("reviewers")
def reviewers_group() -> None:
    """Reviewers who sign in to Datasette to act on clusters (anyone else only reads).

    Kept beside the store in <store>.reviewers/ (password hashes only).
    Example: monitor reviewers add alice
    """


def reviewer_error(action: Callable[[], Any]) -> Any:
    """Run a reviewers action, a ReviewerError becoming a one-line user error."""
    try:
        return action()
    except (reviewers.ReviewerError, OSError) as exc:
        raise click.ClickException(printable(str(exc))) from exc


@reviewers_group.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (first line) instead of a prompt.")
@click.pass_context
def reviewers_add(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Add a reviewer, or set a reviewer's password (asked twice, never echoed).

    Example: monitor reviewers add alice
    """
    db = ctx.obj["db"]
    open_store(db, read_only=True).close()
    reviewer_error(lambda: reviewers.check_name(name))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {name}", hide_input=True,
                                confirmation_prompt=True)
    new = reviewer_error(lambda: reviewers.add(db, name, password))
    echo(f"{'Added reviewer' if new else 'Changed the password of'} {name}: they sign in at "
         "/-/login when the store is served (monitor serve).")


@reviewers_group.command("list")
@click.pass_context
def reviewers_list(ctx: click.Context) -> None:
    """List the reviewers and when each password was set.

    Example: monitor reviewers list
    """
    found = reviewers.listed(ctx.obj["db"])
    if not found:
        echo("No reviewers: add one with monitor reviewers add NAME.")
    for reviewer in found:
        echo(f"{reviewer.name}  (password set {reviewer.password_set})")


@reviewers_group.command("remove")
@click.argument("name")
@click.pass_context
def reviewers_remove(ctx: click.Context, name: str) -> None:
    """Remove a reviewer: they can no longer sign in; their decisions stay in review_log.

    Example: monitor reviewers remove alice
    """
    reviewer_error(lambda: reviewers.remove(ctx.obj["db"], name))
    echo(f"Removed reviewer {name}.")


# ----- clusters (review) -----


def review_actor(actor: str | None) -> str:
    """The review_log actor for a terminal review: --actor, else cli:<login name>."""
    return actor or f"cli:{getpass.getuser()}"


def run_review(ctx: click.Context, action: Callable[[Store], Any],
               read_only: bool = False) -> Any:
    """Run a review action (or a read) against the store, turning review errors into user
    errors."""
    store = open_store(ctx.obj["db"], read_only)
    try:
        return action(store)
    except review.ReviewError as exc:
        raise click.ClickException(printable(str(exc))) from exc
    finally:
        store.close()


actor_option = click.option("--actor", help="Who decides, for review_log (default cli:<login>).")


@cli.group()
def clusters() -> None:
    """Review the clusters that deduplication made: list, show, confirm, split, merge.

    Example: monitor clusters list --language fr
    """


@clusters.command("list")
@click.option("--language", help="Only clusters with an article in this language (ISO 639-1).")
@click.option("--status", type=click.Choice(review.STATUSES), help="Only this review status.")
@click.option("--since", help="First published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="First published on or before this date (YYYY-MM-DD).")
@click.option("--min-size", type=click.IntRange(0, MAX_ID),
              help="Only clusters with at least this many articles.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 10**9),
              help="Page of results.")
@click.option("--limit", default=review.PAGE_SIZE, show_default=True,
              type=click.IntRange(1, 1000), help="Clusters per page.")
@click.pass_context
def clusters_list(ctx: click.Context, page: int, limit: int, **filters: Any) -> None:
    """List clusters most worth a look first: several articles, several languages,
    borderline scores, newest.

    Example: monitor clusters list --status auto --since 2021-07-01 --min-size 2
    """
    result = run_review(ctx, lambda s: review.queue(s, filters, page, limit), read_only=True)
    echo(format_queue(result))


def format_queue(result: review.QueuePage) -> str:
    """A page of the review queue as a table."""
    if not result.rows:
        return "No clusters match."
    lines = [f"{result.total} clusters, page {result.page} of {result.pages}, "
             "most worth a look first:",
             f"{'ID':>6}  {'SIZE':>4}  {'LANGS':<8} {'STATUS':<9} {'FIRST':<10}  TITLE"]
    for row in result.rows:
        why = f"  [{', '.join(row['reasons'])}]" if row["reasons"] else ""
        lines.append(f"{row['id']:>6}  {row['size']:>4}  {row['languages'] or '-':<8} "
                     f"{row['status']:<9} {(row['first_published'] or '-')[:10]:<10}  "
                     f"{shorten(row['title'], 60)}{why}")
    return "\n".join(lines)


@clusters.command("show")
@click.argument("cluster_id", type=ID)
@click.pass_context
def clusters_show(ctx: click.Context, cluster_id: int) -> None:
    """Show a cluster: its members, why each joined, shared evidence, facts, review history.

    Example: monitor clusters show 12
    """
    echo(format_detail(run_review(ctx, lambda s: review.detail(s, cluster_id), read_only=True)))


def format_detail(data: dict[str, Any]) -> str:
    """A cluster's detail as readable text."""
    c, op = data["cluster"], data["operation"]
    lines = [f"Cluster {c['id']} · {c['status']} · {c['size']} articles · "
             f"{c['languages'] or '-'} · first published {c['first_published'] or '-'}",
             f"Title: {shorten(c['title'], 300) or '-'}"]
    if op:
        lines.append(f"Operation: {op['name'] or '(unnamed)'}"
                     + (f" · {op['children']}" if op["children"] else ""))
    else:
        lines.append("Not an operation report.")
    lines += ["", "Members:"]
    for m in data["members"]:
        lines += format_member(m, data["exclusions"].get(m["id"], []))
    if data["facts"]:
        lines += ["", "Facts:"] + [
            f"  {f['kind']} = {f['value']}  (#{f['article_id']}: {shorten(f['evidence'], 70)})"
            for f in data["facts"]]
    if data["history"]:
        lines += ["", "Review history:"] + [
            f"  {h['at']}  {h['actor']}  {h['action']}"
            + (f" article {h['article_id']}" if h["article_id"] else "")
            for h in data["history"]]
    return "\n".join(lines)


def format_member(m: dict[str, Any], excluded: list[int]) -> list[str]:
    """One member's lines: header, relation and evidence, opening of the text."""
    mark = "*" if m["is_representative"] else " "
    lines = [f" {mark} #{m['id']} [{m['language']}] {(m['published'] or '-')[:10]} "
             f"{m['source']}  {shorten(m['title'], 70)}", f"     {shorten(m['url'], 300)}"]
    match = m["match"]
    if m["is_representative"]:
        lines.append("     representative of the cluster")
    if match:
        score = "-" if match["score"] is None else f"{match['score']:.2f}"
        lines.append(f"     {m['relation'] or 'member'} of #{match['matched_id']} by "
                     f"{match['method']} (score {score})")
        lines.append(f"     {match['words']}")
        if match["names"]:
            lines.append(f"     also names {', '.join(match['names'])}")
    if excluded:
        lines.append(f"     split out of cluster(s) {', '.join(map(str, excluded))}")
    lines.append(f"     {shorten(m['text'], 160)}")
    return lines


def shorten(text: str | None, width: int) -> str:
    """Text on one line, cut to `width` characters."""
    flat = " ".join(printable(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@clusters.command("confirm")
@click.argument("cluster_id", type=ID)
@actor_option
@click.pass_context
def clusters_confirm(ctx: click.Context, cluster_id: int, actor: str | None) -> None:
    """Confirm a cluster: later crawls keep its members together.

    Example: monitor clusters confirm 12
    """
    run_review(ctx, lambda s: review.confirm(s, cluster_id, review_actor(actor)))
    echo(f"Confirmed cluster {cluster_id}.")


@clusters.command("split")
@click.argument("cluster_id", type=ID)
@click.argument("article_id", type=ID)
@actor_option
@click.pass_context
def clusters_split(ctx: click.Context, cluster_id: int, article_id: int,
                   actor: str | None) -> None:
    """Split an article out of a cluster into one of its own; it never rejoins the cluster.

    Example: monitor clusters split 12 345
    """
    new_id = run_review(
        ctx, lambda s: review.split(s, cluster_id, article_id, review_actor(actor)))
    echo(f"Split article {article_id} out of cluster {cluster_id} into cluster {new_id}.")


@clusters.command("merge")
@click.argument("cluster_id", type=ID)
@click.argument("other_id", type=ID)
@actor_option
@click.pass_context
def clusters_merge(ctx: click.Context, cluster_id: int, other_id: int,
                   actor: str | None) -> None:
    """Merge cluster OTHER_ID into CLUSTER_ID; they stay merged on later crawls.

    Example: monitor clusters merge 12 13
    """
    after = run_review(ctx, lambda s: review.merge(s, cluster_id, other_id, review_actor(actor)))
    echo(f"Merged cluster {other_id} into cluster {cluster_id} "
               f"({len(after['members'])} articles).")


@clusters.command("representative")
@click.argument("cluster_id", type=ID)
@click.argument("article_id", type=ID)
@actor_option
@click.pass_context
def clusters_representative(ctx: click.Context, cluster_id: int, article_id: int,
                            actor: str | None) -> None:
    """Choose the article that represents a cluster (the original of the story).

    Example: monitor clusters representative 12 345
    """
    run_review(ctx, lambda s: review.choose_representative(
        s, cluster_id, article_id, review_actor(actor)))
    echo(f"Article {article_id} now represents cluster {cluster_id}.")


# ----- maintenance -----


@cli.command()
@click.pass_context
def repair(ctx: click.Context) -> None:
    """Recompute the dedup statistics (document count, anchor and term frequencies) from the
    dedup index, after a crawl that did not stop cleanly (killed, power cut); also marks runs
    that never finished as killed and brings an older store's schema up to date.

    Refused while a crawl holds the store's lock. Example: monitor repair
    """
    from monitor.crawl.lock import CrawlLocked, StoreLock

    db = ctx.obj["db"]
    store = open_store(db)
    lock = StoreLock(db)
    try:
        lock.acquire()
    except CrawlLocked as exc:
        store.close()
        raise click.ClickException(f"{printable(str(exc))}; repair it after that crawl") from exc
    try:
        dead = store.close_dead_runs()
        wrong = store.repair_dedup_stats()
    finally:
        store.close()
        lock.release()
    fixed = ", ".join(f"{n} {name}" for name, n in wrong.items() if n) or "nothing"
    echo(f"Repaired {db}: dedup statistics recomputed from the index (wrong before: {fixed}); "
         f"{dead} unfinished run(s) marked as killed.")


# ----- alerts: digest -----


@cli.command()
@click.option("--since", "since", default="last-run", show_default=True,
              help="last-run (after the previous `--since last-run` digest; everything the "
                   "first time) or a date YYYY-MM-DD (stories found on or after it).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--base-url", default="", help="Where Datasette serves the store, to make the "
              "cluster page links absolute (e.g. http://127.0.0.1:8001).")
@click.option("--skip-empty", is_flag=True,
              help="Print nothing when there is nothing new (so cron sends no mail).")
@click.option("--dry-run", is_flag=True,
              help="With last-run: list, but do not remember this digest.")
@click.pass_context
def digest(ctx: click.Context, since: str, fmt: str, base_url: str, skip_empty: bool,
           dry_run: bool) -> None:
    """List the operation stories found since the last digest (or a date): counts of
    children, languages, agencies, places, reports and cluster page, for a cron mail.

    Example: monitor digest --format html --base-url http://127.0.0.1:8001
    """
    from monitor.review import digest as alerts

    try:
        since = alerts.parse_since(since)
    except alerts.DigestError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    remember = since == alerts.LAST_RUN and not dry_run
    store = open_store(ctx.obj["db"], read_only=not remember)
    try:
        through = store.max_article_id()
        result = alerts.collect(store, since, through, base_url)
        if remember:
            store.record_digest(result.since, through, len(result.stories), fmt)
    finally:
        store.close()
    if result.stories or not skip_empty:
        echo(alerts.render(result, fmt))


# ----- sources by URL -----


@cli.group()
@click.option("--sources", "sources_path", default=settings.MONITOR_SOURCES, show_default=True,
              help="The sources file (MONITOR_SOURCES).")
@click.pass_context
def sources(ctx: click.Context, sources_path: str) -> None:
    """Add a source by its site's URL; check that the sources still answer.

    Example: monitor sources add https://www.ktsm.com/ --name ktsm
    """
    ctx.obj["sources"] = Path(sources_path)


@sources.command("add")
@click.argument("url")
@click.option("--name", help="The source's name (default: the site's host, without www.).")
@click.option("--language", help="ISO 639-1 hint (default: the feed's or the page's language).")
@click.option("--kind", type=click.Choice(["feed", "sitemap"]),
              help="Take a sitemap even where a feed exists, or the reverse.")
@click.pass_context
def sources_add(ctx: click.Context, url: str, name: str | None, language: str | None,
                kind: str | None) -> None:
    """Find the feeds and sitemaps of the site at URL (its page's feed links, its robots.txt
    Sitemap: lines, the usual sitemap locations), check them, and append the best one to
    the sources file.

    Example: monitor sources add https://www.ktsm.com/ --name ktsm --language en
    """
    from monitor.crawl import discovery
    from monitor.crawl.sources import SourceError

    path = ctx.obj["sources"]
    try:
        found = discovery.discover(url)
        chosen = found.best(kind)
        if chosen is None:
            raise discovery.DiscoveryError(no_source_found(url, found, kind))
        language = language or chosen.language or found.language
        if not language:
            raise click.UsageError(f"cannot tell the language of {url}; give --language")
        entry = discovery.make_entry(chosen, name or discovery.default_name(url),
                                     language.lower(), found.url)
        block = discovery.append_entry(path, entry,
                                       discovery.added_comments(url, found, chosen))
    except (discovery.DiscoveryError, SourceError) as exc:
        raise click.ClickException(printable(str(exc))) from exc
    echo(f"Added to {path} ({describe_check(chosen)}):\n{block.rstrip()}")


def no_source_found(url: str, found: Any, kind: str | None) -> str:
    """Why `sources add` found nothing usable, with what it tried."""
    tried = "; ".join(f"{c.kind} {c.url}: {c.problem}" for c in found.candidates) or "nothing"
    wanted = kind or "feed or sitemap"
    return f"no working {wanted} found for {url} (tried: {tried})"


def describe_check(check: Any, kind: bool = True) -> str:
    """'feed rss, 25 items, newest 2025-03-01' (without the kind when it is shown apart)."""
    newest = f", newest {check.newest}" if check.newest else ""
    what = " ".join(filter(None, (check.kind if kind else "", check.detail)))
    return f"{what}, {check.items} items{newest}"


@sources.command("check")
@click.argument("names", nargs=-1)
@click.pass_context
def sources_check(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Fetch each source (or the NAMES given) once and report its status, items and newest
    date, one line a source; exits 1 when any failed.

    Example: monitor sources check doj-press-releases ktsm-el-paso
    """
    from monitor.crawl import discovery
    from monitor.crawl.sources import SourceError, load_sources, select_sources

    path = ctx.obj["sources"]
    try:
        chosen = select_sources(load_sources(path), ",".join(names), str(path))
    except SourceError as exc:
        raise click.ClickException(printable(str(exc))) from exc
    checks = discovery.check_sources(chosen)
    width = max(len(s.name) for s in chosen)
    for source, check in zip(chosen, checks, strict=True):
        status = check.status if check.status is not None else "-"
        verdict = (f"ok      {describe_check(check, kind=False)}" if check.ok
                   else f"FAILED  {check.problem}")
        echo(f"{source.name:<{width}}  {source.kind:<8}  {status!s:>3}  {verdict}  {source.url}")
    failed = sum(not c.ok for c in checks)
    if failed:
        raise click.ClickException(f"{failed} of {len(checks)} source(s) failed")


# ----- scaling out (README "Scaling out") -----


@cli.command("store-writer")
@click.option("--redis", "redis_url", default=settings.MONITOR_REDIS_URL or None,
              help="Redis URL of the shared crawl (MONITOR_REDIS_URL).")
@click.option("--prefix", default=settings.MONITOR_REDIS_PREFIX, show_default=True,
              help="Prefix of the Redis keys (MONITOR_REDIS_PREFIX).")
@click.option("--drain", is_flag=True,
              help="Exit once the queue is empty and no worker is running (for cron).")
@click.pass_context
def store_writer(ctx: click.Context, redis_url: str | None, prefix: str, drain: bool) -> None:
    """Store what the crawler workers of a shared crawl queue: dedup and the store, one
    transaction per item, each item acknowledged only after its commit. Runs until SIGINT or
    SIGTERM (or, with --drain, until the queue is empty and no worker runs); holds the store's
    lock meanwhile. Exit status 1 when a message could not be applied.

    Example: monitor store-writer --redis redis://127.0.0.1:6379/0
    """
    import logging

    from monitor.crawl.lock import CrawlLocked
    from monitor.crawl.scaleout import RedisUnavailable
    from monitor.crawl.scaleout import writer as scaleout

    if not redis_url:
        raise click.ClickException("no Redis given: use --redis redis://HOST:6379/0 or set "
                                   "MONITOR_REDIS_URL")
    logging.basicConfig(level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(message)s")
    try:
        writer, lock = scaleout.open_writer(ctx.obj["db"], redis_url, prefix)
    except (RedisUnavailable, CrawlLocked, StoreError) as exc:
        raise click.ClickException(printable(str(exc))) from exc
    try:
        scaleout.run(writer, ctx.obj["db"], drain)
    except scaleout.WriterStopped as exc:
        raise click.ClickException(printable(str(exc))) from exc
    finally:
        lock.release()
    echo(f"store-writer: {writer.summary()}")
    if writer.counts["failed"]:
        ctx.exit(1)
