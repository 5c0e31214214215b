"""The language station on the seed documents and on article-length texts written here."""

from __future__ import annotations

import pytest
from conftest import seed_path

from monitor.language import detect

# Read off the seed documents.
SEED_LANGUAGES = {"000": "en", "001": "en", "002": "fr", "003": "en", "004": "en"}

# Short news paragraphs, one per language (written for these tests).
TEXTS = {
    "es": ("La policía estatal y agentes federales localizaron a once menores desaparecidos "
           "durante una operación de dos semanas en el condado, según informó la agencia en un "
           "comunicado el martes. Los niños fueron entregados a los servicios sociales."),
    "pt": ("A polícia estadual e agentes federais localizaram onze crianças desaparecidas durante "
           "uma operação de duas semanas no condado, informou a agência em um comunicado na "
           "terça-feira. As crianças foram entregues aos serviços sociais."),
    "de": ("Die Landespolizei und Bundesbeamte haben bei einem zweiwöchigen Einsatz im Landkreis "
           "elf vermisste Kinder gefunden, teilte die Behörde am Dienstag in einer Erklärung mit. "
           "Die Kinder wurden dem Jugendamt übergeben."),
    "it": ("La polizia statale e gli agenti federali hanno ritrovato undici minori scomparsi "
           "durante un'operazione di due settimane nella contea, ha comunicato l'agenzia martedì "
           "in una nota. I bambini sono stati affidati ai servizi sociali."),
    "nl": ("De politie en federale agenten hebben tijdens een operatie van twee weken in de "
           "provincie elf vermiste kinderen gevonden, meldde de dienst dinsdag in een verklaring. "
           "De kinderen zijn overgedragen aan de jeugdzorg."),
}


@pytest.mark.parametrize("prefix", sorted(SEED_LANGUAGES))
def test_seed_language(prefix: str) -> None:
    text = seed_path(prefix).read_text(encoding="utf-8")
    result = detect(text)
    assert (result.language, result.method) == (SEED_LANGUAGES[prefix], "langdetect")
    assert result.confidence >= 0.9


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_paragraph_language(lang: str) -> None:
    assert detect(TEXTS[lang]).language == lang


def test_route_to_own_profile() -> None:
    assert detect(seed_path("002").read_text(encoding="utf-8")).route == "langdetect:fr"


def test_language_without_profile_routes_to_neutral() -> None:
    result = detect(TEXTS["nl"])
    assert (result.language, result.profile, result.route) == ("nl", "neutral",
                                                                "langdetect:neutral")


def test_short_text_falls_back_to_hint() -> None:
    result = detect("Police found them.", hint="es-MX")
    assert (result.language, result.method, result.confidence) == ("es", "hint", 0.0)


def test_short_text_without_hint_is_undetermined() -> None:
    result = detect("Police found them.")
    assert (result.language, result.method, result.profile) == ("und", "none", "neutral")


@pytest.mark.parametrize("text", ["", "2021-07-22 14:05 — 78 / 24", "!!! ??? ..."])
def test_no_letters_is_undetermined(text: str) -> None:
    assert detect(text).language == "und"


def test_seeded_detection_is_repeatable() -> None:
    text = TEXTS["pt"]
    assert detect(text) == detect(text)


def test_long_article_read_from_its_start() -> None:
    text = TEXTS["de"] + " " + " ".join([TEXTS["es"]] * 40)
    assert detect(text).language == "es"
    assert detect(TEXTS["de"] * 15 + TEXTS["es"] * 2).language == "de"
