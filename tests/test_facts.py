"""Facts read off the seeds: operation names, counts of children, ages, agencies, dates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from conftest import seed_path

from monitor.items import Article
from monitor.stations.extraction import extract
from monitor.stations.facts import extract_facts
from monitor.stations.profiles import load_profile

SEED_LANGUAGE = {"000": "en", "001": "en", "002": "fr", "003": "en", "004": "en"}
KINDS = {"operation", "children_total", "children_recovered", "children_located",
         "children_rescued", "arrests", "age_min", "age_max", "agency", "place", "start_date",
         "end_date", "duration_days"}


def facts_of(prefix: str) -> dict[str, list[Any]]:
    """kind -> values of the facts read from a seed (through the extraction station)."""
    path = seed_path(prefix)
    article = extract(Article(url=path.as_uri(), source="seeds",
                              body=path.read_text(encoding="utf-8"), content_type="text"), 100)
    found: dict[str, list[Any]] = defaultdict(list)
    for row in extract_facts(article.text, load_profile(SEED_LANGUAGE[prefix]), article.published):
        assert set(row) == {"kind", "value", "evidence"}
        assert row["kind"] in KINDS
        assert row["evidence"]
        found[row["kind"]].append(row["value"])
    return found


@pytest.mark.parametrize(("prefix", "name"), [
    ("000", "Operation Rescue Me"),
    ("001", "Operation Lost Souls"),
    ("002", "opération Rescue Me"),
    ("003", "Capital Region Missing Child Rescue Operation"),
])
def test_operation_name(prefix: str, name: str) -> None:
    assert facts_of(prefix)["operation"] == [name]


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_rescue_me_counts(prefix: str) -> None:
    """78 missing minors; three recovered, 75 located (in English and in French)."""
    facts = facts_of(prefix)
    assert facts["children_total"] == [78]
    assert facts["children_recovered"] == [3]
    assert facts["children_located"] == [75]
    assert facts["age_min"] == [5] and facts["age_max"] == [18]


def test_lost_souls_total() -> None:
    facts = facts_of("001")
    assert facts["children_total"] == [24]
    assert facts["duration_days"] == [7]  # "The week-long operation"


def test_capital_region_total() -> None:
    facts = facts_of("003")
    assert facts["children_total"] == [64]  # "64 missing children and teens ... were found"
    assert facts["duration_days"] == [3]  # "the three-day operation"
    assert "Upstate New York" in facts["place"]
    # "ranged in age from 2 (a child taken by a noncustodial parent) to 17 years old when first
    # reported missing, and from 6 to 22 years old when they were eventually found"
    assert (facts["age_min"], facts["age_max"]) == ([2], [17])


def test_statistics_page_has_no_operation() -> None:
    facts = facts_of("004")
    assert "operation" not in facts
    assert "children_total" not in facts


def test_rescue_me_dates() -> None:
    assert facts_of("000")["start_date"] == ["2021-05-01"]  # "started on May 1", dated 2021-07-21
    assert facts_of("002")["start_date"] == ["2021-05-01"]  # "le 1er mai", posted 22 juillet 2021
    assert facts_of("000")["duration_days"] == [60]  # "a two-month operation"
    assert facts_of("002")["duration_days"] == [60]  # "au cours des deux derniers mois"


def test_rescue_me_agencies_and_places() -> None:
    facts = facts_of("000")
    for agency in ("Las Cruces Police Department", "Homeland Security Investigations",
                   "U.S. Marshals Service", "New Mexico State Police",
                   "National Center for Missing and Exploited Children"):
        assert agency in facts["agency"]
    assert "EL PASO, Texas" in facts["place"] and "Dona Ana County" in facts["place"]
    assert "ICE" not in facts["agency"]  # an alias written in parentheses


def test_lost_souls_places() -> None:
    places = facts_of("001")["place"]
    assert {"EL PASO, TX", "El Paso County", "Mexico", "Puerto Rico"} <= set(places)
    assert "May" not in places


def test_french_places_and_agencies() -> None:
    facts = facts_of("002")
    assert {"LAS CRUCES, N.M.", "Nouveau-Mexique"} <= set(facts["place"])
    assert "Homeland Security Investigations" in facts["agency"]


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("en", "Operation Safe Return recovered 27 missing children; 19 were rescued. "
           "Deputies arrested four adults.", {"children_total": [27], "arrests": [4]}),
    ("es", "La Operación Almas Perdidas permitió localizar a veinticuatro niños desaparecidos.",
     {"operation": ["Operación Almas Perdidas"], "children_total": [24]}),
    ("de", "Bei der Aktion wurden 23 minderjährige Opfer befreit. Zehn Tatverdächtige wurden "
           "festgenommen.", {"children_total": [23], "children_rescued": [23], "arrests": [10]}),
    ("it", "I carabinieri hanno salvato 14 bambini. I minori, tra i 6 e i 13 anni, sono stati "
           "affidati a strutture protette.", {"children_rescued": [14], "age_min": [6],
                                               "age_max": [13]}),
    ("pt", "A Operação Infância Segura resgatou 19 crianças e adolescentes. Sete pessoas foram "
           "presas.", {"operation": ["Operação Infância Segura"], "arrests": [7]}),
])
def test_facts_in_other_languages(code: str, text: str, expected: dict[str, list[Any]]) -> None:
    found: dict[str, list[Any]] = defaultdict(list)
    for row in extract_facts(text, load_profile(code)):
        found[row["kind"]].append(row["value"])
    for kind, values in expected.items():
        assert found[kind] == values, (kind, dict(found))


def test_words_and_digits_give_the_same_counts() -> None:
    text = "Trois mineurs ont été récupérés lors de l'opération."
    words = extract_facts(text, load_profile("fr"))
    assert {"kind": "children_recovered", "value": 3,
            "evidence": "Trois mineurs ont été récupérés lors de l'opération."} in words


def test_sum_of_kinds_is_a_total_not_a_kind() -> None:
    text = ("The operation led to the location of 78 missing minors.\n"
            "Three minors recovered\n75 minors located")
    found = {r["kind"]: r["value"] for r in extract_facts(text, load_profile("en"))}
    assert found["children_total"] == 78
    assert found["children_located"] == 75 and found["children_recovered"] == 3


def test_year_without_publication_date_is_not_guessed() -> None:
    rows = extract_facts("The operation started on May 1 and located 12 children.",
                         load_profile("en"))
    assert not [r for r in rows if r["kind"] == "start_date"]


def test_stated_end_date() -> None:
    rows = extract_facts("Operation Safe Return ran from June 5 through June 19, 2023 and "
                         "located 27 children.", load_profile("en"))
    found = {r["kind"]: r["value"] for r in rows}
    assert found["start_date"] == "2023-06-05"  # the year comes from the full date beside it
    assert found["end_date"] == "2023-06-19"


def test_fixture_marshals_release() -> None:
    """tests/fixtures/relevance/en_pos_marshals.txt, published in 2024."""
    path = seed_path("000").parent.parent / "tests/fixtures/relevance/en_pos_marshals.txt"
    text = path.read_text(encoding="utf-8").partition("\n\n")[2]
    found = {r["kind"]: r["value"] for r in extract_facts(text, load_profile("en"), "2024-06-21")}
    assert found["operation"] == "Operation Safe Return"
    assert found["children_total"] == 27  # "recovered 27 missing children" / "Of the 27 children"
    assert found["arrests"] == 4  # "arrested four adults"
    assert (found["age_min"], found["age_max"]) == (11, 17)  # "aged 11 to 17"
    assert (found["start_date"], found["end_date"]) == ("2024-06-05", "2024-06-19")
    assert found["duration_days"] == 14  # "A two-week operation"


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("en", "Operation Harbor Light ended on Friday. Of the 31 children, 22 were recovered and 9 "
           "were located.", {"children_total": 31, "children_recovered": 22,
                             "children_located": 9}),
    ("en", "Of the 31 children on the list, 22 were recovered.",
     {"children_total": 31, "children_recovered": 22}),
    ("es", "De los 31 niños buscados, 22 fueron recuperados y 9 localizados.",
     {"children_total": 31, "children_recovered": 22, "children_located": 9}),
])
def test_parts_of_a_counted_group(code: str, text: str, expected: dict[str, int]) -> None:
    """The group is the total; the numbers after it are its parts, each with its own kind."""
    found = {r["kind"]: r["value"] for r in extract_facts(text, load_profile(code))
             if r["kind"].startswith("children_")}
    assert found == expected


@pytest.mark.parametrize(("text", "title"), [
    ("Operation Cross Country\nWASHINGTON — The FBI said agents recovered 59 children in "
     "16 states.", None),
    ("WASHINGTON — The FBI said agents recovered 59 children in 16 states.",
     "Operation Cross Country"),
])
def test_name_stops_at_the_end_of_the_title(text: str, title: str | None) -> None:
    rows = extract_facts(text, load_profile("en"), title=title)
    assert [r["value"] for r in rows if r["kind"] == "operation"] == ["Operation Cross Country"]


@pytest.mark.parametrize("published", ["2023-11-10", "2023-11-28"])
def test_spanish_date_range(published: str) -> None:
    """"del 3 al 17 de noviembre": both days in November of the publication's year (also when
    the report came out before the operation ended)."""
    text = ("El operativo Frontera Segura se desarrolló del 3 al 17 de noviembre y permitió "
            "rescatar a 12 menores.")
    found = {r["kind"]: r["value"] for r in extract_facts(text, load_profile("es"), published)}
    assert (found["start_date"], found["end_date"]) == ("2023-11-03", "2023-11-17")


def test_december_dates_in_a_january_report() -> None:
    text = "The sweep began on December 28 and ended on January 4; deputies located 12 children."
    found = {r["kind"]: r["value"] for r in extract_facts(text, load_profile("en"), "2024-01-09")}
    assert (found["start_date"], found["end_date"]) == ("2023-12-28", "2024-01-04")
