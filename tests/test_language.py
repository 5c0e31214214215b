"""The language station on the seed documents and on article-length texts written here."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

import langdetect
import numpy as np
import pytest
from conftest import SEEDS, seed_path
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException
from langdetect.language import Language

from monitor.stations import langdetect_fast
from monitor.stations.language import SAMPLE_CHARS, detect

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


SWEDISH = ("Polisen i Göteborg meddelade på tisdagen att sju försvunna barn har hittats under en "
           "vecka lång insats tillsammans med socialtjänsten. Barnen mår efter omständigheterna "
           "bra och har återförenats med sina familjer, enligt polisens presstalesperson.")


def test_language_without_profile_routes_to_neutral() -> None:
    result = detect(SWEDISH)
    assert (result.language, result.profile, result.route) == ("sv", "neutral",
                                                                "langdetect:neutral")


def test_dutch_routes_to_its_profile() -> None:
    result = detect(TEXTS["nl"])
    assert (result.language, result.profile, result.route) == ("nl", "nl", "langdetect:nl")


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


# ----- monitor.stations.langdetect_fast gives langdetect's answers -----

VIETNAMESE = ("Cảnh sát đã tìm thấy mười một trẻ em mất tích trong chiến dịch kéo dài hai tuần "
              "tại tỉnh, cơ quan này cho biết hôm thứ Ba. Các em đã được giao cho dịch vụ xã hội.")

# Written for these tests: the cases where langdetect's character handling is subtle.
EDGE_CASES = {
    "all caps": ("BREAKING: POLICE RECOVER ELEVEN MISSING CHILDREN IN OPERATION SAFE HOME. "
                 "The FBI, HSI and the U.S. MARSHALS said the CHILDREN were handed to CPS. "
                 "McDonald's iPhone eBay NASA's A B C DE Fg hI"),
    "urls and e-mail": ("Read the release at https://www.usmarshals.gov/news/2021/op?id=4&l=en#t "
                        "or HTTPS://EXAMPLE.ORG/UPPER and write to press-office@usmarshals.gov, "
                        "media.desk@fbi.gov. Les enfants ont été retrouvés http://t.co/x9 sains."),
    "vietnamese": VIETNAMESE,
    "vietnamese decomposed": unicodedata.normalize("NFD", VIETNAMESE),
    "chinese": ("警方在为期两周的行动中找到了十一名失踪儿童，"
                "并将他们交给社会服务机构。联邦调查局表示。"),
    "japanese": ("警察は二週間の作戦で行方不明の子ども十一人を発見し、児童相談所に引き渡した。"
                 "カタカナのオペレーション、ひらがなのことば。"),
    "chinese with latin words": ("美国联邦调查局（FBI）与国土安全调查局 HSI 在为期两周的 "
                                 "Operation Cross Country 行动中找到了十一名失踪儿童，"
                                 "并将他们交给社会服务机构。[Reuters] `AP` ^_^ "
                                 "警方表示，这些儿童的年龄在十三岁到十七岁之间，"
                                 "其中多人此前被列为离家出走。"),
    "korean": "경찰은 2주간의 작전에서 실종 아동 11명을 찾았다고 밝혔다. ㄱㄴㄷ ㅏㅑ",
    "arabic and latin": ("عثرت الشرطة على أحد عشر طفلاً مفقوداً خلال عملية Operation Safe Home "
                         "التي قادها مكتب FBI في ولاية Texas یی [Reuters] `AP` ^_^ "
                         "وقالت الشرطة إن الأطفال سُلّموا إلى الخدمات الاجتماعية بعد العملية."),
    "russian and latin": ("Полиция нашла одиннадцать пропавших детей в ходе операции Operation "
                          "Cross Country, сообщило FBI (Reuters) со ссылкой на U.S. Marshals."),
    # 10 Latin letters and 20 Cyrillic ones: langdetect keeps the Latin (it drops it below 2:1).
    "latin exactly half of the rest": "Полиция нашла детей ФБР Operation X",
    "whitespace runs": ("  Police   found\t\tthe   children\n\n\n   in    Texas  ,  officials"
                        "     said   \u00a0\u00a0 on\r\nTuesday   "),
    "romanian": ("Poliția a găsit unsprezece copii dispăruți în timpul unei operațiuni de două "
                 "săptămâni, a anunțat agenția marți."),
    "punctuation and symbols": ("« Les enfants » ont été retrouvés — 100 % — à 20 °C… "
                                "\u2018quoted\u2019 “doubles” ¡Hola! ¿Qué? ß Œuvre"),
    "astral characters": "Police found the children 👮🚓 in Texas 𝐓𝐞𝐱𝐚𝐬 today 😀😀 ok",
    "one-letter words": "a b c d e f g h i j k l m n o p q r s t u v w x y z ",
    "ending in a space": TEXTS["es"] + " ",
    "longer than langdetect reads": " ".join(TEXTS.values()) * 12,
    "greek": "Η αστυνομία βρήκε έντεκα αγνοούμενα παιδιά κατά τη διάρκεια επιχείρησης.",
    "hindi": "पुलिस ने दो सप्ताह के अभियान में ग्यारह लापता बच्चों को खोज निकाला।",
}
NO_FEATURES = ["", "   ", "2021-07-22 14:05 — 78 / 24", "!!! ??? ...", "https://example.org/a?b=c"]

Answer = list[tuple[str, str]] | tuple[int, str]


def answer(detect_langs: Callable[[str], list[Language]], text: str) -> Answer:
    """Languages with their probabilities bit for bit (as hex), or langdetect's error."""
    try:
        return [(language.lang, language.prob.hex()) for language in detect_langs(text)]
    except LangDetectException as error:
        return error.get_code(), str(error)


def comparison_texts() -> dict[str, str]:
    """Seeds (whole and as the station samples them), the paragraphs above, the edge cases."""
    texts = {}
    for path in sorted(SEEDS.glob("*.txt")) + sorted(SEEDS.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        texts[f"seed {path.name}"] = text
        texts[f"seed {path.name} sample"] = text[:SAMPLE_CHARS]
    texts.update({f"paragraph {lang}": text for lang, text in TEXTS.items()})
    texts.update({f"edge {name}": text for name, text in EDGE_CASES.items()})
    texts.update({f"no features {i}": text for i, text in enumerate(NO_FEATURES)})
    return texts


COMPARED = comparison_texts()


def test_comparison_covers_the_seeds() -> None:
    assert sum(name.startswith("seed ") for name in COMPARED) == 2 * len(SEED_LANGUAGES)


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_same_answer_as_langdetect(name: str) -> None:
    text = COMPARED[name]
    assert answer(langdetect_fast.detect_langs, text) == answer(langdetect.detect_langs, text)


@pytest.mark.parametrize("text", NO_FEATURES)
def test_no_features_raises_like_langdetect(text: str) -> None:
    with pytest.raises(LangDetectException):
        langdetect.detect_langs(text)
    with pytest.raises(LangDetectException):
        langdetect_fast.detect_langs(text)


def _prepared(detector: Detector, text: str) -> Detector:
    """`detector` with `text` appended and cleaned, ready to extract n-grams."""
    detector.append(text)
    detector.cleaning_text()
    return detector


def langdetect_factory() -> detector_factory.DetectorFactory:
    """langdetect's own factory, loaded by langdetect."""
    detector_factory.init_factory()
    return detector_factory._factory


def test_factory_is_langdetects() -> None:
    """Same languages in the same order, same n-grams, same probabilities bit for bit."""
    ours, reference = langdetect_fast.process_factory(), langdetect_factory()
    assert ours is not reference
    assert ours.langlist == reference.langlist and len(ours.langlist) == 55
    vocabulary = ours.word_lang_prob_map
    assert list(vocabulary) == list(reference.word_lang_prob_map)
    rows = np.array(list(reference.word_lang_prob_map.values()), dtype=np.float64)
    assert vocabulary.matrix.shape == rows.shape
    assert np.array_equal(vocabulary.matrix.view(np.uint64), rows.view(np.uint64))
    assert vocabulary["the"] == reference.word_lang_prob_map["the"]
    assert all(type(p) is float for p in vocabulary["the"])


def test_langdetects_detector_on_our_factory() -> None:
    """langdetect's own Detector reads our vocabulary as a mapping of lists of floats."""
    ours = langdetect_fast.process_factory()
    for text in (TEXTS["pt"], EDGE_CASES["chinese with latin words"]):
        detector = Detector(ours)
        detector.append(text)
        found = [(x.lang, x.prob.hex()) for x in detector.get_probabilities()]
        assert found == answer(langdetect.detect_langs, text)


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_same_text_and_ngrams_as_langdetect(name: str) -> None:
    reference = _prepared(Detector(langdetect_factory()), COMPARED[name])
    for factory in (langdetect_factory(), langdetect_fast.process_factory()):
        fast = _prepared(langdetect_fast.FastDetector(factory), COMPARED[name])
        assert fast.text == reference.text
        assert fast._extract_ngrams() == reference._extract_ngrams()


def test_same_answer_with_prior_and_alpha() -> None:
    answers = []
    for cls, factory in ((Detector, langdetect_factory()),
                         (langdetect_fast.FastDetector, langdetect_factory()),
                         (langdetect_fast.FastDetector, langdetect_fast.process_factory())):
        detector = cls(factory)
        detector.set_prior_map({"pt": 0.6, "es": 0.3, "gl": 0.1})
        detector.set_alpha(0.9)
        detector.append(TEXTS["pt"])
        answers.append([(x.lang, x.prob.hex()) for x in detector.get_probabilities()])
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize("prefix", sorted(SEED_LANGUAGES))
def test_station_confidence_is_langdetects(prefix: str) -> None:
    text = seed_path(prefix).read_text(encoding="utf-8")
    best = langdetect.detect_langs(text[:SAMPLE_CHARS])[0]
    assert (detect(text).language, detect(text).confidence) == (best.lang, round(best.prob, 4))


def test_a_repeated_sample_is_detected_once() -> None:
    """Copies of a story that begin alike are detected once, with the same answer."""
    from monitor.stations import language
    text = "La police a retrouvé trois enfants disparus dans le nord du pays. " * 40
    first = language.detect(text + "Premier site.")
    hits = language._langdetect.cache_info().hits
    second = language.detect(text + "Un autre site, une autre fin.")
    assert second == first and first.language == "fr"
    assert language._langdetect.cache_info().hits == hits + 1


@pytest.mark.parametrize("sample, count, expected", [
    ("a" * 40, 40, True), ("a" * 39, 40, False), ("1" * 200 + "a" * 40, 40, True),
    ("1 " * 100 + "a" * 39, 40, False), ("", 0, True), ("", 1, False)])
def test_has_letters_counts_the_whole_sample(sample: str, count: int, expected: bool) -> None:
    from monitor.stations.language import has_letters
    assert has_letters(sample, count) is expected


def test_draws_are_randoms() -> None:
    """gauss and choice read off the stream are `random.Random`'s, in the same sequence."""
    reference = random.Random(0)
    draws = langdetect_fast._Draws(langdetect_fast._Stream(0))
    matrix = np.arange(300, dtype=np.float64)[:, None]  # row i holds i
    for used, size in ((7, 300), (600, 300), (1, 3), (2000, 5), (40, 1)):
        assert draws.gauss() == reference.gauss(0.0, 1.0)
        features = np.arange(size, dtype=np.intp)[::-1].copy()
        choices = langdetect_fast._Choices(draws, features, matrix)
        picked = choices.factors(0, used, 0.0)[1:, 0].astype(int).tolist()
        assert picked == [reference.choice(features.tolist()) for _ in range(used)]
        draws.position = choices.end(used)
