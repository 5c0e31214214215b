"""The Datasette plugin of the news monitor: cluster review pages, actions and a dashboard."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Forbidden, NotFound, Request, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from monitor import review
from monitor.store import Store

if TYPE_CHECKING:  # datasette.app imports the plugins: no runtime import here
    from datasette.app import Datasette
    from datasette.database import Database

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "monitor-review"
MONITOR_TABLES = ("articles", "clusters", "matches")
FILTERS = ("language", "status", "since", "until", "min_size")
HERE = Path(__file__).parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml"}


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    """The review pages, their actions and the dashboard."""
    return [
        (r"^/-/clusters$", clusters_index),
        (r"^/-/clusters/static/(?P<name>[\w.-]+)$", static_file),
        (r"^/-/clusters/dashboard$", dashboard_page),
        (r"^/-/clusters/dashboard\.json$", dashboard_json),
        (r"^/-/clusters/(?P<cluster_id>\d+)$", cluster_page),
        (r"^/-/clusters/(?P<cluster_id>\d+)/(?P<action>confirm|split|merge|representative)$",
         cluster_action),
    ]


@hookimpl
def menu_links(datasette: Datasette) -> list[dict[str, str]]:
    """Links to the review queue and the dashboard in Datasette's menu."""
    return [{"href": datasette.urls.path("/-/clusters"), "label": "Review clusters"},
            {"href": datasette.urls.path("/-/clusters/dashboard"), "label": "Dashboard"}]


@hookimpl
def startup(datasette: Datasette) -> Callable[[], Any]:
    """Bring the monitor store's schema up to date (review tables) when it is writable."""

    async def inner() -> None:
        db = await find_database(datasette, required=False)
        if db is None or not db.is_mutable:
            return
        try:
            await db.execute_write_fn(lambda conn: commit(conn, Store.from_connection(conn)))
        except sqlite3.Error as exc:
            logger.warning("could not update the monitor store's schema: %s", exc)

    return inner


def commit(conn: sqlite3.Connection, result: Any) -> Any:
    """Commit whatever the write left open and pass its result on."""
    conn.commit()
    return result


async def find_database(datasette: Datasette, required: bool = True) -> Database | None:
    """The attached database that holds the monitor's tables, whatever its file is called."""
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        tables = set(await db.table_names())
        if all(t in tables for t in MONITOR_TABLES):
            return db
    if required:
        raise NotFound("No news-monitor store is attached: run `datasette storage/monitor.db`")
    return None


async def read(datasette: Datasette, fn: Callable[[Store], Any]) -> tuple[Database, Any]:
    """Run a review read against the monitor store in Datasette's read threads."""
    db = await find_database(datasette)
    assert db is not None
    return db, await db.execute_fn(lambda conn: fn(Store.from_connection(conn, migrate=False)))


async def render(datasette: Datasette, request: Request, template: str,
                 context: dict[str, Any]) -> Response:
    """Render one of the plugin's templates (which extend Datasette's) with shared context."""
    base = {"css_url": datasette.urls.path("/-/clusters/static/monitor.css"),
            "charts_url": datasette.urls.path("/-/clusters/static/charts.js"),
            "clusters_url": datasette.urls.path("/-/clusters"),
            "dashboard_url": datasette.urls.path("/-/clusters/dashboard"),
            "can_review": request.actor is not None}
    page = templates(datasette).get_template(template)
    html = await datasette.render_template(page, {**base, **context}, request=request)
    return Response.html(html)


def templates(datasette: Datasette) -> Environment:
    """Datasette's template environment, seeing this plugin's templates/ first."""
    env = getattr(datasette, "_monitor_templates", None)
    if env is None:
        loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), datasette.jinja_env.loader])
        env = datasette.jinja_env.overlay(loader=loader)
        datasette._monitor_templates = env  # type: ignore[attr-defined]
    return env


async def static_file(request: Request) -> Response:
    """A file of the plugin's static/ directory (charts script, styles): no CDN, offline."""
    name = request.url_vars["name"]
    path = STATIC / name
    if name not in {p.name for p in STATIC.iterdir()}:
        raise NotFound(f"No static file {name}")
    content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    return Response(path.read_text(encoding="utf-8"), content_type=content_type,
                    headers={"cache-control": "max-age=3600"})


async def clusters_index(datasette: Datasette, request: Request) -> Response:
    """The review queue: clusters most worth a look first, filtered and paginated."""
    filters = {k: request.args.get(k) or None for k in FILTERS}
    filters["min_size"] = to_int(filters["min_size"])
    page = to_int(request.args.get("page")) or 1
    db, result = await read(datasette, lambda s: review.queue(s, filters, page))
    languages = [r["language"] for r in await db.execute(
        "select distinct language from articles where language is not null order by language")]
    kept = {k: v for k, v in filters.items() if v}
    return await render(datasette, request, "monitor_clusters.html", {
        "result": result, "filters": filters, "languages": languages,
        "statuses": review.STATUSES, "database": db.name,
        "prev_url": page_url(kept, page - 1) if page > 1 else None,
        "next_url": page_url(kept, page + 1) if page < result.pages else None,
    })


def page_url(filters: dict[str, Any], page: int) -> str:
    """The query string of another page of the queue with the same filters."""
    return "?" + urlencode({**filters, "page": page})


def to_int(value: str | None) -> int | None:
    """An integer from a query or form value, None when absent or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


async def cluster_page(datasette: Datasette, request: Request) -> Response:
    """One cluster: members side by side, evidence highlighted, facts, actions, history."""
    cluster_id = int(request.url_vars["cluster_id"])
    try:
        db, data = await read(datasette, lambda s: review.detail(s, cluster_id))
    except review.ReviewError as exc:
        raise NotFound(str(exc)) from exc
    return await render(datasette, request, "monitor_cluster.html",
                        {**data, "database": db.name})


async def cluster_action(datasette: Datasette, request: Request) -> Response:
    """POST confirm / split / merge / representative, for an authenticated actor only."""
    if request.method != "POST":
        return Response.text("Use POST", status=405)
    if request.actor is None or not await datasette.permission_allowed(
            request.actor, REVIEW_PERMISSION, default=True):
        raise Forbidden("Reviewing clusters needs a signed-in actor (e.g. datasette --root)")
    cluster_id = int(request.url_vars["cluster_id"])
    form = await request.post_vars()
    action, actor = request.url_vars["action"], str(request.actor.get("id") or request.actor)
    target = to_int(form.get("article_id") or form.get("other_id"))
    db = await find_database(datasette)
    assert db is not None
    try:
        if not db.is_mutable:
            raise review.ReviewError("the store is open read-only (immutable): restart "
                                     "Datasette without -i to review")
        if action != "confirm" and target is None:
            raise review.ReviewError(f"{action}: give the number of an article or cluster")
        message = await db.execute_write_fn(lambda conn: commit(
            conn, decide(Store.from_connection(conn), action, cluster_id, target, actor)))
        datasette.add_message(request, message, datasette.INFO)
    except review.ReviewError as exc:
        datasette.add_message(request, str(exc), datasette.ERROR)
    return Response.redirect(datasette.urls.path(f"/-/clusters/{cluster_id}"))


def decide(store: Store, action: str, cluster_id: int, target: int | None, actor: str) -> str:
    """Run one review action and return the message to show."""
    if action == "confirm":
        review.confirm(store, cluster_id, actor)
        return f"Confirmed cluster {cluster_id}."
    assert target is not None
    if action == "split":
        new_id = review.split(store, cluster_id, target, actor)
        return f"Split article {target} out into cluster {new_id}."
    if action == "merge":
        review.merge(store, cluster_id, target, actor)
        return f"Merged cluster {target} into this cluster."
    review.choose_representative(store, cluster_id, target, actor)
    return f"Article {target} now represents this cluster."


async def dashboard_page(datasette: Datasette, request: Request) -> Response:
    """Stories per week by language and children per month (each story once), as SVG charts."""
    scope = "all" if request.args.get("scope") == "all" else "relevant"
    db, data = await read(datasette, lambda s: review.dashboard(s, scope))
    return await render(datasette, request, "monitor_dashboard.html",
                        {"data": data, "database": db.name})


async def dashboard_json(datasette: Datasette, request: Request) -> Response:
    """The dashboard's numbers as JSON."""
    scope = "all" if request.args.get("scope") == "all" else "relevant"
    _, data = await read(datasette, lambda s: review.dashboard(s, scope))
    return Response.json(data)
