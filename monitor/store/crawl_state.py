"""Crawl state and health: runs, fetch errors, URL checks, HTTP validators, per-source health,
and the store writer's receipts and worker runs of a scaled-out crawl."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from monitor.stations.urls import url_key
from monitor.store.base import Room, now_iso


class CrawlStateRoom(Room):
    """The crawl_runs, fetch_errors, url_checks, http_validators, source_runs,
    writer_receipts and run_outcomes tables."""

    def start_run(self, spider: str, args: dict[str, Any]) -> int:
        """Insert a crawl_runs row and return its id."""
        with self.db.atomic():
            return self.db["crawl_runs"].insert({
                "spider": spider, "args": json.dumps(args, ensure_ascii=False, default=str),
                "started_at": now_iso(),
            }).last_pk

    def finish_run(self, run_id: int, counts: dict[str, Any], stats: dict[str, Any]) -> None:
        """Close a crawl_runs row with its counts and the crawl's stats."""
        with self.db.atomic():
            self.db["crawl_runs"].update(run_id, {
                **counts, "finished_at": now_iso(),
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            })

    def record_fetch_error(
        self, run_id: int | None, url: str, source: str | None, stage: str, reason: str
    ) -> None:
        """Insert one fetch_errors row."""
        with self.db.atomic():
            self.db["fetch_errors"].insert({
                "run_id": run_id, "url": url, "source": source, "stage": stage,
                "reason": reason, "at": now_iso(),
            })

    def count_fetch_errors(self, run_id: int) -> int:
        """How many fetch errors a run recorded."""
        return self.db["fetch_errors"].count_where("run_id = ?", [run_id])

    def summary(self, run_id: int | None = None) -> dict[str, Any]:
        """Counts for the end-of-run summary."""
        q = self.db.query
        summary: dict[str, Any] = {
            "articles": self.db["articles"].count,
            "by_language": {r["language"]: r["n"] for r in q(
                "select language, count(*) n from articles group by language order by n desc")},
            "clusters": self.db["clusters"].count,
            "multi_clusters": next(q("select count(*) n from clusters where size > 1"))["n"],
            "relevant": next(q("select count(*) n from articles where relevant = 1"))["n"],
        }
        if run_id is not None:
            summary["run"] = self.db["crawl_runs"].get(run_id)
            summary["errors"] = list(q(
                "select stage, reason, url from fetch_errors where run_id = ? order by id",
                [run_id]))
        return summary

    def last_run_id(self) -> int | None:
        """The id of the newest crawl run."""
        rows = list(self.db.query("select max(id) m from crawl_runs"))
        return rows[0]["m"] if rows else None

    def recently_checked(self, url: str, since: str) -> bool:
        """Whether the page of `url` (any tracking, AMP or mobile variant) was fetched and
        processed (stored or dropped) at or after `since`."""
        key = url_key(url)
        rows = self.db.execute(
            "select 1 from url_checks where url_key = ? and checked_at >= ? union all "
            "select 1 from articles where url_key = ? and fetched_at >= ? limit 1",
            [key, since, key, since]).fetchall()
        return bool(rows)

    def mark_checked(self, urls: Iterable[str], kind: str, source: str | None,
                     outcome: str) -> None:
        """Record that `urls` were processed now with `outcome` (new, unchanged, dropped...)."""
        at = now_iso()
        rows = [{"url": url, "url_key": url_key(url), "kind": kind, "source": source,
                 "outcome": outcome, "checked_at": at} for url in sorted(set(urls))]
        with self.db.atomic():
            self.db["url_checks"].upsert_all(rows, pk="url")

    def validators(self, url: str) -> dict[str, Any] | None:
        """The committed ETag / Last-Modified of a listing URL, with its body, or None."""
        rows = list(self.db["http_validators"].rows_where("url = ?", [url], limit=1))
        return rows[0] if rows else None

    def save_validators(self, rows: Iterable[dict[str, Any]]) -> int:
        """Commit listing validators (url, etag, last_modified, body, content_type) at once."""
        batch = [{**row, "saved_at": now_iso()} for row in rows]
        with self.db.atomic():
            if batch:
                self.db["http_validators"].upsert_all(batch, pk="url")
        return len(batch)

    def fetch_errors_by_source(self, run_id: int) -> dict[str | None, int]:
        """How many fetch_errors rows each source has in a run."""
        return {r["source"]: r["n"] for r in self.db.query(
            "select source, count(*) n from fetch_errors where run_id = ? group by source",
            [run_id])}

    def previous_source_runs(self, source: str, before_run: int, limit: int) -> list[dict]:
        """The newest `limit` finished rows of `source` from runs before `before_run`."""
        return list(self.db.query(
            "select * from source_runs where source = ? and run_id < ? order by run_id desc "
            "limit ?", [source, before_run, limit]))

    def save_run_health(self, run_id: int, run: dict[str, Any],
                        sources: list[dict[str, Any]]) -> None:
        """Write a run's per-source rows and its health columns, in one transaction."""
        with self.db.atomic():
            self.db["source_runs"].delete_where("run_id = ?", [run_id])
            if sources:
                self.db["source_runs"].insert_all([{**row, "run_id": run_id}
                                                   for row in sources])
            self.db["crawl_runs"].update(run_id, run)

    def runs(self, limit: int = 10, spider: str | None = None) -> list[dict[str, Any]]:
        """The newest crawl runs, newest first."""
        where, args = ("where spider = ?", [spider]) if spider else ("", [])
        return list(self.db.query(f"select * from crawl_runs {where} order by id desc limit ?",
                                  [*args, limit]))

    def source_runs(self, run_id: int) -> list[dict[str, Any]]:
        """The per-source rows of one run."""
        return list(self.db.query("select * from source_runs where run_id = ? order by source",
                                  [run_id]))

    def source_history(self, source: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest per-run rows of one source, newest first."""
        return list(self.db.query(
            "select s.*, r.started_at, r.finish_reason from source_runs s join crawl_runs r "
            "on r.id = s.run_id where s.source = ? order by s.run_id desc limit ?",
            [source, limit]))

    def close_dead_runs(self) -> int:
        """Mark runs that never finished as killed (call only while holding the crawl lock)."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update crawl_runs set finish_reason = 'killed' "
                "where finished_at is null and finish_reason is null")
        return cursor.rowcount

    def has_receipt(self, message_id: str) -> bool:
        """Whether the writer already applied this message."""
        return self.db.execute("select 1 from writer_receipts where message_id = ?",
                               [message_id]).fetchone() is not None

    def add_receipt(self, message_id: str) -> None:
        """Record that a message was applied (inside the message's transaction)."""
        self.db.execute("insert into writer_receipts (message_id, at) values (?, ?)",
                        [message_id, now_iso()])

    def prune_receipts(self, before: str) -> int:
        """Forget receipts older than `before` (no message can come back after so long)."""
        with self.db.atomic():
            return self.db.execute("delete from writer_receipts where at < ?",
                                   [before]).rowcount

    def worker_run_id(self, token: str) -> int | None:
        """The crawl_runs id of a worker's run, by the token it started with."""
        row = self.db.execute(
            "select id from crawl_runs where json_extract(args, '$.worker_run') = ? "
            "order by id desc limit 1", [token]).fetchone()
        return row[0] if row else None

    def open_worker_runs(self) -> list[tuple[int, str]]:
        """(id, token) of worker runs not finished yet."""
        return [tuple(r) for r in self.db.execute(
            "select id, json_extract(args, '$.worker_run') from crawl_runs where finished_at "
            "is null and finish_reason is null and json_extract(args, '$.worker_run') is not "
            "null order by id").fetchall()]

    def count_run_outcome(self, run_id: int | None, source: str, outcome: str) -> None:
        """Count one stored article of a worker run (inside the article's transaction)."""
        if run_id is None:
            return
        self.db.execute(
            "insert into run_outcomes (run_id, source, outcome, n) values (?, ?, ?, 1) "
            "on conflict (run_id, source, outcome) do update set n = n + 1",
            [run_id, source, outcome])

    def run_outcomes(self, run_id: int) -> dict[str, Counter[str]]:
        """A worker run's stored articles by source and outcome."""
        found: dict[str, Counter[str]] = {}
        for source, outcome, n in self.db.execute(
                "select source, outcome, n from run_outcomes where run_id = ?", [run_id]):
            found.setdefault(source, Counter())[outcome] += n
        return found

    def last_checked(self, keys: list[str]) -> dict[str, str]:
        """When each page (by url_key) was last fetched and processed: its url_checks row or
        its article's fetched_at, the later of the two."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            marks = ",".join("?" * len(chunk))
            for key, at in self.db.execute(
                    f"select url_key, max(checked_at) from url_checks where url_key in ({marks}) "
                    f"group by url_key union all select url_key, fetched_at from articles "
                    f"where url_key in ({marks})", chunk + chunk):
                if key and at and at > found.get(key, ""):
                    found[key] = at
        return found

    def all_checked(self) -> Iterator[tuple[str, str]]:
        """(url_key, when) of every page fetched and processed (to rebuild a mirror)."""
        yield from self.db.execute(
            "select url_key, max(at) from (select url_key, checked_at as at from url_checks "
            "union all select url_key, fetched_at from articles) where url_key is not null "
            "and at is not null group by url_key")

    def all_validators(self) -> Iterator[dict[str, Any]]:
        """Every listing's committed validators (to rebuild a mirror)."""
        yield from self.db["http_validators"].rows
