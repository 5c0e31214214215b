"""Named reviewers: who may sign in to Datasette and act on clusters, managed from the command
line, kept beside the store (never in the repository).

Each reviewer is a file `<store>.reviewers/<name>.hash` (the directory 0700, files 0600)
holding a PBKDF2 hash made by datasette-auth-passwords, the plugin that checks it at sign-in.
The Datasette configuration refers to these files (`{"$file": ...}`) rather than holding the
hashes, so Datasette's /-/metadata page never shows them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datasette_auth_passwords.utils import hash_password

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@-]{0,39}")
MIN_PASSWORD = 8
AUTH_PLUGIN = "datasette-auth-passwords"
HASH_SUFFIX = ".hash"


class ReviewerError(ValueError):
    """A reviewer name or password that cannot be used, or an unknown reviewer."""


@dataclass(frozen=True)
class Reviewer:
    """A reviewer who can sign in, and when their password was last set."""

    name: str
    password_set: str


def directory(db: str | Path) -> Path:
    """Where the reviewers of the store at `db` are kept: `<store>.reviewers/` beside it."""
    path = Path(db)
    return path.with_name(path.stem + ".reviewers")


def check_name(name: str) -> str:
    """The name, or a ReviewerError saying what a name may be."""
    if not NAME.fullmatch(name):
        raise ReviewerError(f"reviewer names are 1 to 40 letters, digits, '.', '@' or '-', "
                            f"starting with a letter or digit, not {name!r}")
    return name


def add(db: str | Path, name: str, password: str) -> bool:
    """Add a reviewer or set their password; True when they are new."""
    check_name(name)
    if len(password) < MIN_PASSWORD:
        raise ReviewerError(f"the password needs at least {MIN_PASSWORD} characters")
    folder = directory(db)
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{name}{HASH_SUFFIX}"
    new = not target.exists()
    temporary = target.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(hash_password(password) + "\n")
    os.replace(temporary, target)
    return new


def remove(db: str | Path, name: str) -> None:
    """Remove a reviewer: they can no longer sign in (their past decisions stay logged)."""
    target = directory(db) / f"{check_name(name)}{HASH_SUFFIX}"
    if not target.exists():
        raise ReviewerError(f"no reviewer {name!r}")
    target.unlink()


def listed(db: str | Path) -> list[Reviewer]:
    """The reviewers of the store, by name."""
    folder = directory(db)
    if not folder.is_dir():
        return []
    return [Reviewer(p.name[:-len(HASH_SUFFIX)],
                     datetime.fromtimestamp(p.stat().st_mtime, UTC).isoformat(timespec="seconds"))
            for p in sorted(folder.glob(f"*{HASH_SUFFIX}"))
            if NAME.fullmatch(p.name[:-len(HASH_SUFFIX)])]


def plugin_config(db: str | Path) -> dict[str, Any] | None:
    """Datasette's plugin configuration for the store's reviewers: datasette-auth-passwords
    accounts that refer to the hash files, and the monitor plugin's list of reviewers (only
    they may act). None when the store has no reviewer directory."""
    if not directory(db).is_dir():
        return None
    names = [r.name for r in listed(db)]
    accounts: dict[str, Any] = {
        f"{name}_password_hash": {"$file": str(directory(db).resolve() / f"{name}{HASH_SUFFIX}")}
        for name in names}
    accounts["actors"] = {name: {"id": name} for name in names}
    return {AUTH_PLUGIN: accounts, "monitor": {"reviewers": names}}
