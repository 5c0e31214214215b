"""Every language profile on sentences written for it: operation reports, look-alikes, numbers.

The sentences in tests/fixtures/languages/<code>.yml were written for these tests (never copied
from real articles) and state the topic or value they must get."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.stations.numbers import find_numbers
from monitor.stations.profiles import load_profile
from monitor.stations.relevance import classify

FIXTURES = Path(__file__).parent / "fixtures" / "languages"


def cases(group: str) -> list[tuple[str, object]]:
    """(language, case) for every case of `group` in every language's fixture file."""
    found = []
    for path in sorted(FIXTURES.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found += [pytest.param(path.stem, case, id=f"{path.stem}-{i}")
                  for i, case in enumerate(data.get(group) or [])]
    return found


@pytest.mark.parametrize(("code", "text"), cases("operation"))
def test_operation_reports_are_relevant(code: str, text: str) -> None:
    assert load_profile(code).code == code
    assert classify(text, None, load_profile(code)).topic == "operation", text


@pytest.mark.parametrize(("code", "text"), cases("not_operation"))
def test_look_alikes_are_not_operations(code: str, text: str) -> None:
    assert classify(text, None, load_profile(code)).topic != "operation", text


@pytest.mark.parametrize(("code", "case"), cases("numbers"))
def test_numbers_are_read(code: str, case: list) -> None:
    text, value = case
    assert value in [m.value for m in find_numbers(text, load_profile(code))], text


def test_twenty_languages_have_fixtures() -> None:
    assert len(list(FIXTURES.glob("*.yml"))) >= 14
