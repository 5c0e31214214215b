"""Hostile input to the stations: bounded work, no crash, hints never paths."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, ROOT, run_scrapy

from monitor.crawl.lock import StoreLock
from monitor.items import Article
from monitor.stations import dedup, facts, language, numbers, profiles, relevance
from monitor.stations.dedup import anchors
from monitor.stations.extraction import content_hash
from monitor.stations.profiles import load_profile
from monitor.store import Store

EN = load_profile("en")
LEAD = ("Operation Safe Harbor: U.S. Marshals and the Las Cruces Police Department recovered "
        "missing children during a two-week operation in Dona Ana County, officials said.\n")
KINDS = ("recovered", "located", "rescued")
FILLER = "The weather in the county was mild and the market was busy that week. "
STOP_SECONDS = 15  # SIGTERM to exit, generous: the stations take well under a second an item


def count_sentences(n: int) -> str:
    """`n` counts of children, one a sentence, kinds in turn, odd values 3, 5, 7, ..."""
    return " ".join(f"Officers said {3 + 2 * i} children were {KINDS[i % 3]}."
                    for i in range(n))


def big_number_text(number: str) -> str:
    """A report whose count of children is written as `number`."""
    return (LEAD + f"Agents recovered {number} children during the operation. "
            + "The children were placed with family services, the agency said. " * 3)


def values(rows: list[dict]) -> dict[str, object]:
    """Facts rows as kind -> value."""
    return {row["kind"]: row["value"] for row in rows}


# ----- facts: counts considered, sum check, text length -----


def test_facts_consider_the_first_counts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    original = facts._is_sum

    def counting(count, others):
        sizes.append(len(others))
        return original(count, others)

    monkeypatch.setattr(facts, "_is_sum", counting)
    rows = values(facts.extract_facts(LEAD + count_sentences(800), EN))
    assert sizes and max(sizes) <= facts.MAX_COUNTS and len(sizes) <= facts.MAX_COUNTS
    # the first 200 counts: values 3..401; recovered i = 0, 3, ..., 198; located up to 199
    assert rows["children_recovered"] == 3 + 2 * 198
    assert rows["children_located"] == 3 + 2 * 199
    assert rows["children_rescued"] == 3 + 2 * 197
    assert "children_total" not in rows  # odd values: no two add up to a third


def test_considered_counts_capped() -> None:
    counts = facts.considered_counts(LEAD + count_sentences(800), EN)
    assert len(counts) == facts.MAX_COUNTS
    assert [c.value for c in counts[:3]] == [3, 5, 7]


def test_sum_of_two_kinds_is_a_total() -> None:
    text = ("Police said 3 children were recovered. Officers said 75 children were located. "
            "In all 78 children were located.")
    rows = values(facts.extract_facts(text, EN))
    assert rows["children_total"] == 78
    assert rows["children_recovered"] == 3 and rows["children_located"] == 75


def test_sum_of_one_kind_is_no_total() -> None:
    text = ("Police said 3 children were located. Officers said 75 children were located. "
            "Agents said 78 children were recovered.")
    assert "children_total" not in values(facts.extract_facts(text, EN))


def test_facts_read_the_first_characters_only() -> None:
    padding = FILLER * (facts.MAX_TEXT_CHARS // len(FILLER) + 1)
    late = LEAD + padding + " Police said 57 children were recovered."
    assert "children_recovered" not in values(facts.extract_facts(late, EN))
    early = LEAD + "Police said 57 children were recovered. " + padding
    assert values(facts.extract_facts(early, EN))["children_recovered"] == 57


def test_relevance_reads_the_first_characters_only() -> None:
    padding = FILLER * (relevance.ANALYSED_CHARS // len(FILLER) + 1)
    late = padding + "Police said 57 children were recovered in the operation."
    assert relevance.child_totals(late, None, EN).head is None
    assert relevance.child_totals(late[-200:], None, EN).head == 57


def test_parts_of_a_group_bounded() -> None:
    sentence = "Of the 999 children, " + ", ".join(f"{i} here" for i in range(1, 500)) + "."
    mentions = numbers.find_numbers(sentence, EN)
    assert len(mentions) == 500
    counts = facts.considered_counts(sentence, EN)
    parts = facts.group_parts(sentence, EN, counts)
    assert len(parts) <= facts.MAX_SENTENCE_NUMBERS


# ----- anchors and dedup: bounded, no overflow -----


def test_anchors_capped() -> None:
    text = " ".join(f"{1000 + i} apples" for i in range(30_000))  # 300 KB of numbers
    found = anchors.extract_anchors(text, None, EN)
    assert len(found.keys) == anchors.MAX_ANCHORS
    assert "n:1000" in found.keys and "n:30999" not in found.keys  # the first, not the last


@pytest.mark.parametrize("token", ["9" * 309, "7" * 400, " ".join(["123"] * 110)])
def test_huge_digit_groups_are_no_number(token: str) -> None:
    assert anchors.parse_digits(token) is None


def test_ordinary_digit_groups_still_read() -> None:
    assert anchors.parse_digits("12,114") == 12114
    assert anchors.parse_digits("36,2") == 36.2
    assert anchors.parse_digits("1 000 000") == 1_000_000


def test_numbers_skip_hundreds_of_digits() -> None:
    found = numbers.find_numbers("Agents recovered " + "7" * 400 + " children and 12 adults.", EN)
    assert [m.value for m in found] == [12]


@pytest.mark.parametrize("number", ["7" * 400, " ".join(str(100 + i) for i in range(110))])
def test_dedup_survives_huge_numbers(tmp_path: Path, number: str) -> None:
    text = big_number_text(number)
    item = Article(url="https://example.org/a", source="hostile", text=text, language="en",
                   title="Children recovered", content_hash=content_hash(text))
    store = Store(tmp_path / "monitor.db")
    decision = dedup.decide(store, item)
    assert decision.index is not None
    assert all("inf" not in key for key in decision.index.anchors)
    item.dedup = decision
    item.relevant, item.facts = 1, facts.extract_facts(text, EN)
    store.save_article(item)
    store.close()
    assert sqlite_utils.Database(tmp_path / "monitor.db")["articles"].count == 1


# ----- language hints and profiles -----


HOSTILE_HINTS = ["../../x", "../../../etc/passwd", "/etc/passwd", "/tmp/x.yml", "x" * 300,
                 ["en"], {"a": 1}, 7, "en/../../x", "xx", "neutral", "en-", "e", "en US",
                 "en\nfr", "zz-ZZ", ""]


@pytest.mark.parametrize("hint", HOSTILE_HINTS, ids=repr)
def test_hostile_hint_ignored(hint: object) -> None:
    result = language.detect("1 2 3", hint)  # no letters: only the hint could decide
    assert (result.language, result.method, result.profile) == ("und", "none", "neutral")


@pytest.mark.parametrize(("hint", "expected"), [
    ("en", "en"), ("en-US", "en"), ("pt-BR", "pt"), ("pt_br", "pt"), ("FR", "fr"),
    ("zh-Hant-TW", "zh"), ("ko", "ko"), (" es ", "es")])
def test_language_tag_hint_used(hint: str, expected: str) -> None:
    result = language.detect("1 2 3", hint)
    assert (result.language, result.method) == (expected, "hint")


def test_hint_known_to_detector_without_profile() -> None:
    assert language.detect("1 2 3", "ko").profile == "neutral"  # langdetect knows Korean


@pytest.mark.parametrize("code", ["../../x", "/etc/passwd", "x" * 300, "EN", "en.yml", "e",
                                  "en/", "neutral", ".."], ids=repr)
def test_load_profile_refuses_what_is_no_code(code: str) -> None:
    assert load_profile(code) is profiles.neutral_profile()


def test_load_profile_refuses_unhashable() -> None:
    assert load_profile(["en"]) is profiles.neutral_profile()  # type: ignore[arg-type]


def test_load_profile_never_reads_outside_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "evil.yml"
    outside.write_text("name: evil\nterms: {child: [boom]}\n", encoding="utf-8")
    relative = os.path.relpath(outside.with_suffix(""), profiles.PROFILE_DIR)
    for code in (relative, str(outside.with_suffix("")), "evil"):
        assert load_profile(code) is profiles.neutral_profile()
        assert language.detect("1 2 3", code).profile == "neutral"


def test_profile_cache_bounded_by_the_files() -> None:
    for i in range(2000):
        load_profile(f"{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}")
        language.detect("1 2 3", f"q{i}")
    assert profiles._load_profile.cache_info().currsize <= len(profiles.available())


def test_valid_codes_still_load() -> None:
    assert load_profile("fr").code == "fr" and load_profile("fr") is load_profile("fr")


# ----- a crawl of hostile files -----


def write_hostile_files(folder: Path, copies: int) -> None:
    """`copies` 276 KB texts of counts, plus the 400-digit and 100-group reports."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = LEAD + count_sentences(7000)
    for i in range(copies):
        (folder / f"counts-{i:03d}.txt").write_text(f"Report {i}. {counts}", encoding="utf-8")
    (folder / "digits.txt").write_text(big_number_text("7" * 400), encoding="utf-8")
    groups = " ".join(str(100 + i) for i in range(110))
    (folder / "groups.txt").write_text(big_number_text(groups), encoding="utf-8")


def test_crawl_of_hostile_files_stores_them(tmp_path: Path) -> None:
    write_hostile_files(tmp_path / "in", copies=2)
    db = tmp_path / "monitor.db"
    run_scrapy("files", "-a", f"path={tmp_path / 'in'}", db=db, timeout=240)
    rows = list(sqlite_utils.Database(db)["articles"].rows)
    assert len(rows) == 4
    digits = next(r for r in rows if r["url"].endswith("digits.txt"))
    assert digits["language"] == "en"


def test_sigterm_stops_a_crawl_and_frees_the_lock(tmp_path: Path) -> None:
    write_hostile_files(tmp_path / "in", copies=60)
    db = tmp_path / "monitor.db"
    log = tmp_path / "crawl.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(BIN / "scrapy"), "crawl", "files", "-a", f"path={tmp_path / 'in'}",
             "-s", f"MONITOR_DB={db}"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "MONITOR_DB": str(db)})
        try:
            _wait_for_articles(db, proc)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=STOP_SECONDS)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stored = sqlite_utils.Database(db)["articles"].count
    assert 0 < stored < 62, log.read_text()[-3000:]  # stopped mid-crawl
    assert StoreLock(db).holder() is None
    runs = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert [r["finish_reason"] for r in runs] == ["shutdown"]


def _wait_for_articles(db: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    """Until the crawl has stored an article (it is then busy with the hostile files)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                if sqlite_utils.Database(db)["articles"].count:
                    return
            except Exception:  # noqa: BLE001, S112 - the store is being created
                pass
        time.sleep(0.2)
    raise AssertionError("the crawl stored nothing")
