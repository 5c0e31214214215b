"""Relevance: operation reports versus look-alikes, over the seeds and a labelled fixture set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT, seed_path

from monitor.items import Article
from monitor.stations.extraction import extract
from monitor.stations.profiles import load_profile
from monitor.stations.relevance import Relevance, child_counts, classify, fold, sentence_spans

FIXTURES = ROOT / "tests" / "fixtures" / "relevance"
MANIFEST = yaml.safe_load((FIXTURES / "manifest.yml").read_text(encoding="utf-8"))
SEED_LANGUAGE = {"000": "en", "001": "en", "002": "fr", "003": "en", "004": "en"}


def seed_article(prefix: str) -> Article:
    """A seed document through the real extraction station."""
    path = seed_path(prefix)
    article = Article(url=path.as_uri(), source="seeds", body=path.read_text(encoding="utf-8"),
                      content_type="text")
    return extract(article, min_chars=100)


def fixture(name: str) -> tuple[str, str]:
    """(title, body) of a relevance fixture."""
    title, _, body = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").partition("\n\n")
    return title, body


def classify_seed(prefix: str, code: str | None = None) -> Relevance:
    """Classify a seed in its own language (or `code`)."""
    article = seed_article(prefix)
    return classify(article.text, article.title, load_profile(code or SEED_LANGUAGE[prefix]))


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_seed_operation_reports(prefix: str) -> None:
    result = classify_seed(prefix)
    assert result.topic == "operation"
    assert result.relevant == 1
    assert any(t.startswith("count:") for t in result.terms)
    assert any(t.startswith("operation:") for t in result.terms)


def test_seed_statistics_page_is_related() -> None:
    result = classify_seed("004")
    assert result.topic == "related"
    assert result.relevant == 0
    assert "lookalike:statistics" in result.terms


@pytest.mark.parametrize(("prefix", "topic"), [
    ("000", "operation"), ("001", "operation"), ("002", "operation"), ("003", "operation"),
    ("004", "related"),
])
def test_seeds_without_a_profile(prefix: str, topic: str) -> None:
    """The neutral profile (digits only, every profile's words) keeps the same decisions."""
    assert classify_seed(prefix, "und").topic == topic


def fixture_params() -> list[object]:
    """Every fixture; the known misses of the held-out split are expected to fail."""
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=meta["known_miss"]))
            if meta.get("known_miss") else name for name, meta in sorted(MANIFEST.items())]


@pytest.mark.parametrize("name", fixture_params())
def test_fixture_label(name: str) -> None:
    title, body = fixture(name)
    meta = MANIFEST[name]
    result = classify(body, title, load_profile(meta["language"]))
    assert result.topic == meta["label"], (meta["note"], result)


def test_fixture_set_covers_six_languages_with_lookalikes() -> None:
    languages = {m["language"] for m in MANIFEST.values()}
    assert languages == {"en", "es", "fr", "pt", "de", "it"}
    for code in languages:
        labels = [m["label"] for m in MANIFEST.values() if m["language"] == code]
        assert "operation" in labels and "related" in labels, code


def test_every_fixture_is_listed() -> None:
    assert {p.stem for p in FIXTURES.glob("*.txt")} == set(MANIFEST)


def test_predator_sting_is_not_an_operation_report() -> None:
    title, body = fixture("en_neg_broken_heart")
    result = classify(body, title, load_profile("en"))
    assert result.topic == "related"
    assert not any(t.startswith("count:") for t in result.terms)


def test_compliance_sweep_to_keep_children_safe_is_related() -> None:
    title, body = fixture("en_neg_compliance")
    assert classify(body, title, load_profile("en")).topic == "related"


def test_off_topic_without_children() -> None:
    result = classify("The city council approved the budget for road repairs on Tuesday. "
                      "Work will start in May.", "Council approves budget", load_profile("en"))
    assert result.topic == "off_topic" and result.relevant == 0


def test_child_counts_of_seed_000() -> None:
    article = seed_article("000")
    counts = {(c.value, c.kinds) for c in child_counts(article.text, load_profile("en"))}
    assert (78, frozenset({"located"})) in counts  # "led to the location of 78 missing minors"
    assert (3, frozenset({"recovered"})) in counts  # "Three minors recovered"
    assert (75, frozenset({"located"})) in counts  # "75 minors located"


def test_age_is_not_a_count() -> None:
    counts = child_counts("The 12-year-old girl was found safe.", load_profile("en"))
    assert counts == []


def test_cases_are_not_a_count() -> None:
    text = "NCMEC handled 132 cases of missing children; 28,886 missing child cases in all."
    assert child_counts(text, load_profile("en")) == []


def test_sentences_keep_abbreviations_together() -> None:
    text = "The U.S. Marshals Service located 12 children. Sonya K. Chavez spoke."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The U.S. Marshals Service located 12 children.", "Sonya K. Chavez spoke."]


def test_fold_keeps_positions() -> None:
    text = "Trois mineurs ont été récupérés – l’opération"
    assert len(fold(text)) == len(text)
    assert fold(text).endswith("l'operation")


def test_fixture_paths_exist() -> None:
    assert all(Path(FIXTURES / f"{name}.txt").exists() for name in MANIFEST)


def test_a_copy_is_classified_once_and_alike() -> None:
    from monitor.stations.relevance import _classify_recent
    text = ("Police located 14 missing children during Operation Safe Harbor, a multi-agency "
            "sweep in Tulsa, the U.S. Marshals said on Tuesday.")
    first = classify(text, "Fourteen children located", load_profile("en"))
    before = _classify_recent.cache_info().hits
    again = classify(text, "Fourteen children located", load_profile("en"))
    assert _classify_recent.cache_info().hits == before + 1
    assert again == first and first.topic == "operation"


def test_a_profile_of_one_s_own_is_not_mistaken_for_the_loaded_one() -> None:
    """A remembered result belongs to the loaded profile; another profile with the same code
    (a test's, a user's edit) is read for itself."""
    from dataclasses import replace
    text = "Police located 14 missing children during Operation Safe Harbor in Tulsa."
    loaded = load_profile("en")
    assert classify(text, None, loaded).topic == "operation"
    without_operations = replace(loaded, terms={**loaded.terms, "operation": []})
    assert classify(text, None, without_operations).topic != "operation"


@pytest.mark.parametrize(("text", "sentences"), [
    ("Полиция нашла 12 детей. Операция длилась неделю.", 2),  # Cyrillic capitals
    ("Η αστυνομία εντόπισε 9 παιδιά. Η επιχείρηση συνεχίζεται.", 2),  # Greek capitals
    ("पुलिस ने 80 बच्चों को बचाया। अभियान जारी है।", 2),  # the danda
    ("警方解救46名儿童。抓获31名嫌疑人。", 2),  # full stops without spaces
    ("The U.S. Marshals said. it was not over.", 1),  # lower case after a stop: no break
])
def test_sentences_in_every_script(text: str, sentences: int) -> None:
    assert len(sentence_spans(text)) == sentences


@pytest.mark.parametrize(("sentence", "values"), [
    ('Agencies safely recovered 60 "critically missing" children in the county.', [60]),
    ("In all, 206 victims were identified, 53 of which were confirmed to be minors.", [53]),
    ("During the sting four men were arrested for preying on children online.", []),
    ("Deputies located 14 runaway teens and arrested 3 adults.", [14]),
    ("Police rescued eleven (11) children from the compound.", [11]),
])
def test_counts_of_children_as_outlets_write_them(sentence: str, values: list[int]) -> None:
    counts = child_counts(sentence, load_profile("en"))
    assert [c.value for c in counts] == values


def test_a_title_case_headline_names_no_one() -> None:
    """In a headline whose words are all capitalised the recovery word is no proper name."""
    counts = child_counts("Police: 123 Missing Children Recovered In One-Day Sweep",
                          load_profile("en"))
    assert [(c.value, c.kinds) for c in counts] == [(123, frozenset({"recovered"}))]


def test_people_rescued_of_whom_minors_count_weakly() -> None:
    """A sweep that rescued "20 people ... as minors" reports children among its victims."""
    text = ("Human trafficking investigation rescues 20\n\nA coordinated police operation led "
            "to the rescue of 20 people who had been exploited in the sex trade as minors or "
            "against their will, police said. Officers charged 31 people with 90 offences.")
    result = classify(text, None, load_profile("en"))
    assert result.topic == "operation"
    assert any("victims" in term for term in result.terms)


def test_people_rescued_near_a_child_word_without_an_operation_are_not_one() -> None:
    text = ("Fire at clinic\n\nFirefighters rescued 40 people from a burning building next to "
            "the children's clinic on Main Street on Sunday night.")
    assert classify(text, None, load_profile("en")).topic != "operation"


def test_number_with_a_leading_zero_is_no_count() -> None:
    """"2019-03 children" is a month before a noun, not three children."""
    counts = child_counts("Report 2019-03 children were found in the shelter.", load_profile("en"))
    assert all(c.value != 3 for c in counts)


@pytest.mark.parametrize(("code", "sentence", "value"), [
    ("en", "Police rescued 14 children aged 5 to 12 in the raid.", 14),
    ("en", "Officers located 9 minors under 16 at the farm.", 9),
    ("fr", "La police a secouru 41 enfants âgés de 10 à 16 ans.", 41),
])
def test_an_age_after_the_child_word_keeps_the_count(code: str, sentence: str,
                                                      value: int) -> None:
    counts = child_counts(sentence, load_profile(code))
    assert [c.value for c in counts] == [value]
    assert counts[0].kinds


def test_a_case_word_after_the_child_word_is_no_count() -> None:
    assert child_counts("The unit closed 132 missing children cases.", load_profile("en")) == []


def test_counts_between_commas_take_their_sentence_recovery() -> None:
    """Several counts of a sentence, none with a recovery word in its own clause: the
    sentence's recovery word is theirs."""
    counts = child_counts("In two raids on Friday, 12 girls and 9 boys, all from one district, "
                          "were rescued by the task force.", load_profile("en"))
    assert {(c.value, c.kinds) for c in counts} == {(12, frozenset({"rescued"})),
                                                    (9, frozenset({"rescued"}))}
