"""`datasette storage/monitor.db -m metadata.json --get ...` works on a crawled store."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import BIN, ROOT

METADATA = ROOT / "monitor" / "datasette" / "metadata.json"


def datasette_get(db: Path, path: str) -> dict | list:
    """Run `datasette DB -m METADATA --get PATH` and parse the JSON it prints."""
    result = subprocess.run(
        [str(BIN / "datasette"), str(db), "-m", str(METADATA), "--get", path],
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def monitor_db(seeded_db: Path) -> Path:
    """The seeded store under the name the metadata describes (monitor.db)."""
    target = seeded_db.parent / "served" / "monitor.db"
    target.parent.mkdir(exist_ok=True)
    shutil.copy(seeded_db, target)
    return target


def test_language_facet(seeded_db: Path) -> None:
    data = datasette_get(monitor_db(seeded_db), "/monitor/articles.json?_facet=language")
    facet = {r["value"]: r["count"] for r in data["facet_results"]["language"]["results"]}
    assert facet == {"en": 4, "fr": 1}


def test_full_text_search_in_datasette(seeded_db: Path) -> None:
    rows = datasette_get(monitor_db(seeded_db),
                         "/monitor/articles.json?_search=Sunland&_shape=array")
    # "Sunland Park" appears in 000 (English) and 002 (French) only.
    assert sorted(Path(r["url"]).name[:3] for r in rows) == ["000", "002"]


def test_canned_query_articles_per_language_per_month(seeded_db: Path) -> None:
    rows = datasette_get(monitor_db(seeded_db),
                         "/monitor/articles_per_language_per_month.json?_shape=array")
    assert {"month": "2021-07", "language": "fr", "articles": 1} in rows
    assert {"month": "2021-07", "language": "en", "articles": 1} in rows
