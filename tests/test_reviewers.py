"""Named reviewers managed from the command line, and `monitor serve`: sign-in, who may act,
and a server that stops with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from conftest import BIN

from monitor.cli import cli
from monitor.review import reviewers
from monitor.store import Store

PASSWORD = "correct horse battery"


def monitor(db: Path, *args: str, stdin: str | None = None) -> Result:
    """Run `monitor --db DB ARGS...`."""
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An empty store called news.db."""
    path = tmp_path / "news.db"
    Store(path).close()
    return path


def test_add_list_remove(db: Path) -> None:
    added = monitor(db, "reviewers", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0 and "Added reviewer alice" in added.output
    changed = monitor(db, "reviewers", "add", "alice", stdin=f"{PASSWORD}2\n{PASSWORD}2\n")
    assert changed.exit_code == 0 and "Changed the password of alice" in changed.output
    assert monitor(db, "reviewers", "list").output.startswith("alice  (password set ")
    hash_file = db.parent / "news.reviewers" / "alice.hash"  # beside the store
    assert oct(hash_file.stat().st_mode & 0o777) == "0o600"
    assert PASSWORD not in hash_file.read_text() and hash_file.read_text().startswith(
        "pbkdf2_sha256$")
    removed = monitor(db, "reviewers", "remove", "alice")
    assert removed.exit_code == 0 and not hash_file.exists()
    assert "No reviewers" in monitor(db, "reviewers", "list").output


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "bad name", "--password-stdin"], PASSWORD, "reviewer names are 1 to 40 letters"),
    (["add", "x_password_hash", "--password-stdin"], PASSWORD, "reviewer names are"),
    (["add", "bob", "--password-stdin"], "short\n", "at least 8 characters"),
    (["remove", "bob"], None, "no reviewer 'bob'"),
])
def test_bad_input_is_one_line(db: Path, args: list[str], stdin: str | None,
                               message: str) -> None:
    result = monitor(db, "reviewers", *args, stdin=stdin)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_no_store_no_reviewer(tmp_path: Path) -> None:
    result = monitor(tmp_path / "none.db", "reviewers", "add", "alice", "--password-stdin",
                     stdin=PASSWORD)
    assert result.exit_code == 1 and "no store at" in result.output
    assert not (tmp_path / "none.reviewers").exists()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something accepts connections on the port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.fixture
def serving(db: Path):  # noqa: ANN201 - a generator fixture
    """`monitor serve` with reviewer alice on a free port: (process, base URL, port)."""
    reviewers.add(db, "alice", PASSWORD)
    port = free_port()
    process = subprocess.Popen([str(BIN / "monitor"), "--db", str(db), "serve", "--port",
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not listening(port):
        assert time.monotonic() < deadline and process.poll() is None, "serve never listened"
        time.sleep(0.1)
    try:
        yield process, f"http://127.0.0.1:{port}", port
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_sigkill_stops_the_server_too(serving: tuple[subprocess.Popen, str, int]) -> None:
    """A SIGKILL cannot be passed on: the server still stops when `monitor serve` dies."""
    process, _, port = serving
    (server,) = children(process.pid)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 30
    while alive(server) or listening(port):
        assert time.monotonic() < deadline, "the server outlived monitor serve"
        time.sleep(0.1)


def test_sigterm_stops_the_server(serving: tuple[subprocess.Popen, str, int]) -> None:
    process, _, port = serving
    (server,) = children(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not alive(server) and not listening(port)


def test_sign_in_and_who_may_act(serving: tuple[subprocess.Popen, str, int], db: Path) -> None:
    _, base, _ = serving
    with httpx.Client(base_url=base) as client:
        metadata = client.get("/-/metadata.json").text
        assert "pbkdf2" not in metadata  # the hashes stay in their files
        token = client.get("/-/login").cookies["ds_csrftoken"]
        wrong = client.post("/-/login", data={"username": "alice", "password": "nope",
                                              "csrftoken": token})
        assert "Invalid username or password" in wrong.text
        assert client.get("/-/actor.json").json() == {"actor": None}
        client.post("/-/login", data={"username": "alice", "password": PASSWORD,
                                      "csrftoken": token})
        assert client.get("/-/actor.json").json() == {"actor": {"id": "alice"}}
    assert os.path.exists(reviewers.directory(db) / "alice.hash")
