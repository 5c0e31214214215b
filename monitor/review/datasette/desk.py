"""What Datasette shows of the monitor store: the metadata of metadata.json applied to the
database that holds the store whatever its file is called, its internal tables hidden, home
and database pages that lead to operations, the review queue, the dashboard and search, and
the sign-in accounts of the store's reviewers (monitor.review.reviewers)."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from monitor.review import reviewers

if TYPE_CHECKING:
    from datasette.app import Datasette

METADATA = Path(__file__).parent / "metadata.json"
METADATA_NAME = "monitor"  # the database name metadata.json describes
STORE_ATTR = "_monitor_store"  # the monitor database's name and hidden tables, set at startup
CACHE_ATTR = "_monitor_metadata"  # (reviewers' stamp, metadata) built for that state
# Tables a reader never needs: dedup's index, migrations, the crawl's fetch memory.
HIDDEN_PREFIXES = ("dedup_", "_", "sqlite_")
HIDDEN_TABLES = frozenset({"url_checks", "http_validators"})
# Columns that hold a story cluster's id, linked to its review page.
CLUSTER_COLUMNS = {("operations", "cluster_id"), ("articles", "cluster_id"),
                   ("matches", "cluster_id")}


@functools.cache
def packaged_metadata() -> dict[str, Any]:
    """metadata.json as shipped with the project."""
    return json.loads(METADATA.read_text(encoding="utf-8"))


def hidden_tables(names: list[str]) -> list[str]:
    """The store's internal tables among `names`."""
    return sorted(n for n in names if n.startswith(HIDDEN_PREFIXES) or n in HIDDEN_TABLES)


def remember_store(datasette: Datasette, name: str, tables: list[str],
                   path: str | None) -> None:
    """Record which database holds the store, its tables to hide and its file."""
    setattr(datasette, STORE_ATTR, {"name": name, "hidden": hidden_tables(tables),
                                    "path": path})


def store_name(datasette: Datasette) -> str | None:
    """The name of the database that holds the store (None before startup found it)."""
    store = getattr(datasette, STORE_ATTR, None)
    return store["name"] if store else None


def metadata_for(datasette: Datasette) -> dict[str, Any] | None:
    """metadata.json for the database that holds the store, with its internal tables hidden,
    links to the work on the home and database pages, and the reviewers' sign-in. Datasette
    asks for it hundreds of times a page: built once per state of the reviewers' directory,
    handed out as fresh dicts (Datasette merges other metadata into what it is given)."""
    store = getattr(datasette, STORE_ATTR, None)
    if store is None:
        return None
    stamp = reviewers_stamp(store["path"])
    cached = getattr(datasette, CACHE_ATTR, None)
    if cached is None or cached[0] != stamp:
        cached = (stamp, build_metadata(datasette, store))
        setattr(datasette, CACHE_ATTR, cached)
    return fresh(cached[1])


def fresh(value: Any) -> Any:
    """A copy of nested dicts (lists and scalars shared: Datasette replaces, never edits them)."""
    return {k: fresh(v) for k, v in value.items()} if isinstance(value, dict) else value


def reviewers_stamp(db: str | None) -> int | None:
    """When the store's reviewers last changed (None without a reviewers' directory)."""
    try:
        return reviewers.directory(db).stat().st_mtime_ns if db else None
    except OSError:
        return None


def build_metadata(datasette: Datasette, store: dict[str, Any]) -> dict[str, Any]:
    """The store's metadata, built from metadata.json and its reviewers."""
    base = copy.deepcopy(packaged_metadata())
    database = base.pop("databases", {}).get(METADATA_NAME, {})
    tables = database.setdefault("tables", {})
    for table in store["hidden"]:
        tables.setdefault(table, {})["hidden"] = True
    links = desk_links(datasette, store["name"])
    base["description_html"] = f"<p>{escape(base.pop('description', ''))}</p>{links}"
    database["description_html"] = (f"<p>{escape(database.pop('description', ''))}</p>"
                                    f"{links}")
    base["databases"] = {store["name"]: database}
    plugins = reviewers.plugin_config(store["path"]) if store["path"] else None
    if plugins is not None:
        base["plugins"] = plugins
    return base


def desk_links(datasette: Datasette, database: str) -> str:
    """The links that open on the work: operations, the review queue, dashboard, search."""
    urls = datasette.urls
    links = [
        (urls.table(database, "operations") + "?_sort_desc=first_reported", "Operations",
         "one row per story, newest first, with children, agencies and places"),
        (urls.path("/-/clusters"), "Review clusters", "the stories most worth a look first"),
        (urls.path("/-/clusters/dashboard"), "Dashboard", "stories and children over time"),
        (urls.query(database, "search_articles"), "Search articles",
         "full text, as you would type it"),
        (urls.table(database, "articles"), "Articles", "every article, with facets"),
    ]
    items = "".join(Markup('<li><a href="{}">{}</a>: {}</li>').format(href, label, what)
                    for href, label, what in links)
    return f'<ul class="bullets mon-desk">{items}</ul>'


def cluster_link(datasette: Datasette, value: Any, column: str, table: str | None,
                 database: str) -> Markup | None:
    """A cluster id cell as a link to the cluster's review page."""
    if (table, column) not in CLUSTER_COLUMNS or database != store_name(datasette):
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    href = datasette.urls.path(f"/-/clusters/{value}")
    return Markup('<a href="{}" title="review this story">{}</a>').format(href, value)
