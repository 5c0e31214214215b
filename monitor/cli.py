"""The `monitor` command: summaries, stats and serving the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from monitor import settings
from monitor.store import Store

METADATA = Path(__file__).parent / "datasette" / "metadata.json"


def open_store(db: str) -> Store:
    """Open an existing store, or fail with a user error."""
    if not Path(db).exists():
        raise click.ClickException(f"no store at {db}: run a crawl first (make run)")
    return Store(db)


@click.group()
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
    store = open_store(db)
    data = store.summary(store.last_run_id())
    store.close()
    click.echo(format_summary(db, data))


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
        lines.append(f"  error [{error['stage']}] {error['url']}: {error['reason']}")
    lines += [f"Database: {os.path.abspath(db)}",
              f"Explore it: make serve   (or: datasette {db} -m {METADATA})"]
    return "\n".join(lines)


@cli.command()
@click.option("--port", default=8001, show_default=True, help="Port on 127.0.0.1.")
@click.pass_context
def serve(ctx: click.Context, port: int) -> None:
    """Open the store in Datasette on 127.0.0.1 with the project's metadata.

    Example: monitor serve --port 8001
    """
    db = ctx.obj["db"]
    open_store(db).close()
    command = [sys.executable, "-m", "datasette", "serve", db, "-m", str(METADATA),
               "-h", "127.0.0.1", "-p", str(port)]
    raise SystemExit(subprocess.call(command))
