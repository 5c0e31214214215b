"""The Datasette plugin of the news monitor: cluster review pages, actions, a dashboard, and
the monitor's metadata for the database that holds the store (monitor.review.datasette.desk).

Reviewing needs the `monitor-review` permission: any signed-in actor has it, unless the
plugin configuration names the reviewers (`"plugins": {"monitor": {"reviewers": ["alice"]}}`;
the store's reviewers, `monitor reviewers add`, are named so and sign in through
datasette-auth-passwords), or another plugin's `permission_allowed` decides. Malformed ids and
filters are answered 400/404 with a message; multipart POSTs 415; a store Datasette cannot
write is served read-only.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import BadRequest, Forbidden, NotFound, Request, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from monitor import review
from monitor.review.datasette import desk
from monitor.store import Store, StoreError

if TYPE_CHECKING:  # datasette.app imports the plugins: no runtime import here
    from datasette.app import Datasette
    from datasette.database import Database

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "monitor-review"
PLUGIN_NAME = "monitor"  # the entry point's name: the key of this plugin's configuration
MAX_ID = 2**63 - 1  # SQLite's largest integer
MAX_PAGE = 1_000_000
READ_ONLY_ATTR = "_monitor_read_only"  # names of the databases Datasette could not write
READ_ONLY_MESSAGE = ("the store is read-only here (an immutable file, or one this user "
                     "cannot write): decisions cannot be saved")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]],
                   Awaitable[None]]
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
        db: Database | None = None
        try:
            db = await find_database(datasette, required=False)
            if db is None:
                return
            desk.remember_store(datasette, db.name, await db.table_names(), db.path)
            if not db.is_mutable:
                return
            if db.path and not os.access(db.path, os.W_OK):
                raise StoreError(f"{db.path} cannot be written by this user")
            await db.execute_write_fn(lambda conn: commit(conn, Store.from_connection(conn)))
        except (sqlite3.Error, StoreError, OSError) as exc:
            # Never stop Datasette: serve what can be read, and say why nothing is written.
            logger.warning("the monitor store is served read-only: %s", exc)
            if db is not None:
                read_only_databases(datasette).add(db.name)

    return inner


@hookimpl
def get_metadata(datasette: Datasette) -> dict[str, Any] | None:
    """The monitor's metadata for the database holding the store, whatever it is called."""
    return desk.metadata_for(datasette)


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Datasette) -> Any:
    """Cluster ids link to the cluster's review page."""
    return desk.cluster_link(datasette, value, column, table, database)


def read_only_databases(datasette: Datasette) -> set[str]:
    """The databases whose monitor store Datasette found it cannot write."""
    names = getattr(datasette, READ_ONLY_ATTR, None)
    if names is None:
        names = set()
        setattr(datasette, READ_ONLY_ATTR, names)
    return names


def is_writable(datasette: Datasette, db: Database) -> bool:
    """Whether review decisions can be written to `db` (not -i, not found read-only)."""
    return db.is_mutable and db.name not in read_only_databases(datasette)


@hookimpl
def permission_allowed(datasette: Datasette, actor: dict[str, Any] | None, action: str,
                       resource: Any) -> bool | None:
    """`monitor-review`: never anonymous; only the configured reviewers when there is a
    list; otherwise no opinion (every signed-in actor, unless another plugin says no)."""
    if action != REVIEW_PERMISSION:
        return None
    if actor is None:
        return False
    reviewers = configured_reviewers(datasette)
    if reviewers is None:
        return None
    return str(actor.get("id")) in reviewers


def configured_reviewers(datasette: Datasette) -> set[str] | None:
    """The actor ids of the plugin configuration's `reviewers` list, None when it has none."""
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    reviewers = config.get("reviewers") if isinstance(config, dict) else None
    if reviewers is None:
        return None
    if isinstance(reviewers, str | int):
        reviewers = [reviewers]
    return {str(r) for r in reviewers}


async def may_review(datasette: Datasette, actor: dict[str, Any] | None) -> bool:
    """Whether `actor` has the review permission (a signed-in actor by default)."""
    return actor is not None and await datasette.permission_allowed(
        actor, REVIEW_PERMISSION, default=True)


def actor_name(actor: dict[str, Any]) -> str:
    """The actor's id, for messages and the review log."""
    return str(actor.get("id") or actor)


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Callable[[ASGIApp], ASGIApp]:
    """Refuse multipart POSTs (415) before the CSRF layer, which cannot parse them."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def refuse_multipart(scope: Scope, receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method") == "POST" and is_multipart(
                    scope):
                response = Response.text("Multipart forms are not accepted: post the form "
                                         "as application/x-www-form-urlencoded", status=415)
                await response.asgi_send(send)
                return
            await app(scope, receive, send)

        return refuse_multipart

    return wrap


def is_multipart(scope: Scope) -> bool:
    """Whether a request's body is declared as multipart."""
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-type":
            return value.split(b";")[0].strip().lower().startswith(b"multipart/")
    return False


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
            "can_review": await may_review(datasette, request.actor),
            "read_only": False}
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
    filters = queue_filters(request)
    page = whole_number(request.args.get("page"), "page", maximum=MAX_PAGE) or 1
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


def queue_filters(request: Request) -> dict[str, Any]:
    """The queue's filters from the query string; BadRequest (400) for a malformed one."""
    filters: dict[str, Any] = {k: request.args.get(k) or None for k in FILTERS}
    filters["min_size"] = whole_number(filters["min_size"], "min_size")
    if filters["status"] is not None and filters["status"] not in review.STATUSES:
        raise BadRequest(f"status: one of {', '.join(review.STATUSES)}, "
                         f"not {shorten(filters['status'])}")
    for key in ("since", "until"):
        if filters[key] is not None:
            filters[key] = iso_day(filters[key], key)
    return filters


def iso_day(value: str, name: str) -> str:
    """A YYYY-MM-DD date from a filter; BadRequest otherwise."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRequest(f"{name}: give a date as YYYY-MM-DD, not {shorten(value)}") from None


def whole_number(value: str | None, name: str, error: type[Exception] = BadRequest,
                 maximum: int = MAX_ID) -> int | None:
    """A whole number from 1 to `maximum` from a query, form or path value (None when
    absent); `error` (400 by default) with a message for anything else."""
    if value in (None, ""):
        return None
    assert value is not None
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(maximum)):
        number = int(text)
        if 1 <= number <= maximum:
            return number
    raise error(f"{name}: give a whole number from 1 to {maximum}, not {shorten(value)}")


def shorten(value: str) -> str:
    """A user's value quoted for a message, cut to 40 characters."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def path_cluster_id(request: Request) -> int:
    """The cluster id of the URL; 404 when it cannot be a cluster's."""
    number = whole_number(request.url_vars["cluster_id"], "cluster", error=NotFound)
    assert number is not None
    return number


async def cluster_page(datasette: Datasette, request: Request) -> Response:
    """One cluster: members side by side, evidence highlighted, facts, actions, history."""
    cluster_id = path_cluster_id(request)
    try:
        db, data = await read(datasette, lambda s: review.detail(s, cluster_id))
    except review.ReviewError as exc:
        raise NotFound(str(exc)) from exc
    return await render(datasette, request, "monitor_cluster.html",
                        {**data, "database": db.name, "read_only": not is_writable(datasette, db)})


async def cluster_action(datasette: Datasette, request: Request) -> Response:
    """POST confirm / split / merge / representative, for an authenticated actor only."""
    if request.method != "POST":
        return Response.text("Use POST", status=405)
    if request.actor is None:
        raise Forbidden("Reviewing clusters needs a signed-in actor: sign in at /-/login as "
                        "a reviewer (monitor reviewers add NAME)")
    if not await may_review(datasette, request.actor):
        raise Forbidden(f"You are signed in as {actor_name(request.actor)} but not allowed to "
                        f"review clusters (the {REVIEW_PERMISSION} permission)")
    cluster_id = path_cluster_id(request)
    form = await request.post_vars()
    action, actor = request.url_vars["action"], actor_name(request.actor)
    field = "article_id" if action in ("split", "representative") else "other_id"
    target = whole_number(form.get(field) or form.get("article_id") or form.get("other_id"),
                          field)
    db = await find_database(datasette)
    assert db is not None
    try:
        if not db.is_mutable:
            raise review.ReviewError("the store is open read-only (immutable): restart "
                                     "Datasette without -i to review")
        if not is_writable(datasette, db):
            raise review.ReviewError(READ_ONLY_MESSAGE)
        if action != "confirm" and target is None:
            raise review.ReviewError(f"{action}: give the number of an article or cluster")
        message = await db.execute_write_fn(lambda conn: commit(
            conn, decide(Store.from_connection(conn), action, cluster_id, target, actor)))
        datasette.add_message(request, message, datasette.INFO)
    except review.ReviewError as exc:
        datasette.add_message(request, str(exc), datasette.ERROR)
    except (sqlite3.Error, StoreError) as exc:
        logger.warning("review %s of cluster %s not saved: %s", action, cluster_id, exc)
        if "readonly" in str(exc) or "read-only" in str(exc):
            read_only_databases(datasette).add(db.name)
            reason = READ_ONLY_MESSAGE
        else:
            reason = f"the decision was not saved ({exc}): try again"
        datasette.add_message(request, reason, datasette.ERROR)
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
