"""A real headless Chromium reviews the 000/002 cluster in a real `monitor serve` process,
signed in as a named reviewer; an anonymous visitor reads but cannot act.

Screenshots land in tests/artifacts/review/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BIN, ROOT

from monitor import review
from monitor.store import Store

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts" / "review"
INSTALL = ("install them with: apt-get install -y chromium chromium-driver (Debian) and "
           ".venv/bin/pip install -e '.[test]'")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]


def browser_paths() -> tuple[str, str]:
    """Chromium and chromedriver, or skip (fail under CI) saying how to install them."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if chromium and driver:
        return chromium, driver
    message = f"no headless Chromium, chromedriver and selenium found; {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REVIEWER, PASSWORD = "alice", "correct horse battery"


@pytest.fixture
def served(seeded_db: Path) -> Iterator[tuple[str, Path]]:
    """`monitor serve` on 127.0.0.1 with one reviewer, alice; yields its URL and the db."""
    port = free_port()
    subprocess.run([str(BIN / "monitor"), "--db", str(seeded_db), "reviewers", "add", REVIEWER,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)
    process = subprocess.Popen(
        [str(BIN / "monitor"), "--db", str(seeded_db), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", seeded_db
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_for_port(port: int, timeout: float = 20) -> None:
    """Wait until the server accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"datasette did not listen on port {port}")


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by selenium."""
    chromium, driver_path = browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-review-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def store_state(db: Path, name: str) -> dict[str, Any]:
    """The stored article whose file name starts with `name`, and its cluster."""
    store = Store(db)
    try:
        row = next(store.db.query("select * from articles where url like ?", [f"%/{name}_%"]))
        return {"article": row, "cluster": store.cluster(row["cluster_id"]),
                "log": list(store.db["review_log"].rows_where(order_by="id"))}
    finally:
        store.close()


def same_story(db: Path) -> int:
    """The cluster of seeds 000 and 002 (merging them first if dedup did not)."""
    en, fr = store_state(db, "000")["article"], store_state(db, "002")["article"]
    if en["cluster_id"] != fr["cluster_id"]:  # only before story dedup exists
        store = Store(db)
        review.merge(store, en["cluster_id"], fr["cluster_id"], "test-setup")
        store.close()
    return en["cluster_id"]


def shot(driver: Any, name: str) -> None:
    """Save a full-width screenshot under tests/artifacts/review/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1400, min(max(height + 200, 800), 5000))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def submit(driver: Any, button: Any) -> None:
    """Click a form's button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    page = driver.find_element("tag name", "html")
    button.click()

    def replaced(_driver: Any) -> bool:
        # Chromium reports a node of the replaced document as stale, or, while the next one
        # is being built, as a node that "does not belong to the document".
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 15).until(replaced)


def sign_in(driver: Any, base: str, name: str, password: str) -> None:
    """Sign in through datasette-auth-passwords' form, as a person would."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/-/login")
    driver.find_element(By.ID, "id_username").send_keys(name)
    driver.find_element(By.ID, "id_password").send_keys(password)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.password-login input[type=submit]"))


def test_review_the_seed_story_in_chromium(served: tuple[str, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, db = served
    cluster_id = same_story(db)
    french = store_state(db, "002")["article"]["id"]
    sign_in(browser, base, REVIEWER, "not the password")
    assert "Invalid username or password" in browser.page_source
    sign_in(browser, base, REVIEWER, PASSWORD)
    browser.get(f"{base}/-/clusters")
    assert browser.find_element(By.CSS_SELECTOR, ".actor").text == REVIEWER
    first = browser.find_element(By.CSS_SELECTOR, "#mon-queue tbody tr td a")
    assert first.text == str(cluster_id)
    shot(browser, "01-queue")

    submit(browser, first)
    cards = browser.find_elements(By.CSS_SELECTOR, ".mon-member")
    assert len(cards) == 2
    assert browser.find_elements(By.CSS_SELECTOR, f"#member-{french} mark.mon-shared")
    assert "78" in [m.text for m in browser.find_elements(By.CSS_SELECTOR, "mark.mon-shared")]
    shot(browser, "02-cluster")
    # On a narrow window the cards wrap: one below the other, none past the right edge.
    browser.set_window_size(700, 1000)
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('.mon-member')].map(c => {"
        "const r = c.getBoundingClientRect(); return [r.left, r.top, r.right]; })"
        ".concat([[0, 0, document.documentElement.clientWidth]]);")
    (left1, top1, right1), (left2, top2, right2), (_, _, width) = boxes
    assert max(right1, right2) <= width and left1 == left2 and top2 > top1
    browser.set_window_size(1400, 1000)

    submit(browser, browser.find_element(By.CSS_SELECTOR, f"#member-{french} .mon-split button"))
    message = browser.find_element(By.CSS_SELECTOR, ".message-info").text
    assert message.startswith(f"Split article {french} out into cluster ")
    assert not browser.find_elements(By.ID, f"member-{french}")
    state = store_state(db, "002")
    new_id = state["article"]["cluster_id"]
    assert new_id != cluster_id and state["cluster"]["size"] == 1
    assert (state["log"][-1]["action"], state["log"][-1]["actor"]) == ("split", REVIEWER)
    shot(browser, "03-after-split")

    browser.get(f"{base}/-/clusters/{new_id}")
    assert f"Split out of cluster {cluster_id}" in browser.page_source
    shot(browser, "04-split-out-article")

    browser.get(f"{base}/-/clusters/{cluster_id}")
    browser.find_element(By.CSS_SELECTOR, "#mon-merge input[name=other_id]").send_keys(
        str(new_id))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#mon-merge button"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".mon-member")) == 2
    assert store_state(db, "002")["article"]["cluster_id"] == cluster_id
    shot(browser, "05-after-merge")

    submit(browser, browser.find_element(By.CSS_SELECTOR, "#mon-confirm button"))
    assert browser.find_element(By.ID, "mon-status").text == "confirmed"
    state = store_state(db, "000")
    assert state["cluster"]["status"] == "confirmed" and state["cluster"]["size"] == 2
    assert [r["action"] for r in state["log"] if r["actor"] == REVIEWER] == [
        "split", "merge", "confirm"]
    assert REVIEWER in browser.find_element(By.ID, "mon-history").text
    shot(browser, "06-confirmed")

    browser.get(f"{base}/-/clusters/dashboard?scope=all")
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-stories svg rect.mon-bar")
    # Stories in June 2021, July 2021 and March 2025: nearly four years, drawn in quarters.
    assert len(bars) == 3
    assert "per quarter" in browser.find_element(By.ID, "stories-title").text
    shot(browser, "07-dashboard")


def test_anonymous_browser_reads_but_cannot_act(served: tuple[str, Path],
                                                 browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, db = served
    cluster_id = same_story(db)
    browser.get(f"{base}/-/clusters/{cluster_id}")
    assert browser.find_element(By.ID, "mon-title").text == "Operation Rescue Me"
    assert not browser.find_elements(By.CSS_SELECTOR, "form.mon-split")
    assert "Sign in to review" in browser.page_source
    # A form posted without signing in (Datasette's CSRF token taken from the login page).
    browser.get(f"{base}/-/login")
    token = browser.find_element(By.NAME, "csrftoken").get_attribute("value")
    status = browser.execute_script(
        "const r = await fetch(arguments[0], {method: 'POST', body: new URLSearchParams("
        "{csrftoken: arguments[1]})}); return r.status;",
        f"{base}/-/clusters/{cluster_id}/confirm", token)
    assert status == 403
    assert store_state(db, "000")["log"] == [] and store_state(db, "000")["cluster"][
        "status"] == "auto"
