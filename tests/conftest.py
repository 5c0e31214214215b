"""Shared fixtures: the seed documents, temporary stores and a subprocess `scrapy crawl`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fixture_site import fixture_site  # noqa: F401 - the fixture news site (session fixture)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
BIN = Path(sys.executable).parent


def seed_path(prefix: str) -> Path:
    """The seed document whose name starts with `prefix` (e.g. "002")."""
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def run_scrapy(*args: str, db: Path, cwd: Path = ROOT, timeout: int = 300,
               check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `scrapy crawl ...` as a user would, against the store at `db`."""
    env = {**os.environ, "MONITOR_DB": str(db)}
    result = subprocess.run([str(BIN / "scrapy"), "crawl", *args, "-s", f"MONITOR_DB={db}"],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"scrapy failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store made once per session by `scrapy crawl files -a path=seeds`."""
    db = tmp_path_factory.mktemp("seeded") / "monitor.db"
    run_scrapy("files", "-a", f"path={SEEDS}", db=db)
    return db


@pytest.fixture
def seeded_db(seeded_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded store for one test."""
    db = tmp_path / "monitor.db"
    shutil.copy(seeded_db_template, db)
    return db


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """A path for a fresh store."""
    return tmp_path / "monitor.db"


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` made read-only while the block runs (chattr +i as root, whom file modes do not
    stop); skips the test where that is impossible."""
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(
                ["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("running as root without chattr: cannot make a file read-only")
    else:
        path.chmod(0o444)
    try:
        yield path
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)
