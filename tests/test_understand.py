"""The understand stage: language, dates, entities with aliases, numbers, on the seeds and on written cases."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samestory.understand as understand_module
from samestory.article import Article
from samestory.understand import dates as dates_module
from samestory.understand import (
    detect_language,
    extract_entities,
    extract_numbers,
    lookup_place,
    person_key,
    resolve_dates,
    understand,
)
from samestory.understand import entities as entities_module

THURSDAY = date(2022, 12, 29)  # the seeds' publication date


def _seed(path: Path, published: datetime | None) -> Article:
    """A seed as an Article: title = first line, text = the rest, the ` date YYYY-MM-DD ` header dropped."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if not re.fullmatch(r"\s*date \d{4}-\d{2}-\d{2}\s*", line)]  # fmt: skip
    while lines and not lines[0].strip():
        lines.pop(0)
    return Article(
        id=path.stem, title=lines[0].strip(), text="\n".join(lines[1:]).strip(), published=published
    )


@pytest.fixture(scope="module")
def seeds(seed_paths: list[Path]) -> tuple[Article, Article]:
    undated = understand(_seed(seed_paths[0], None))
    dated = understand(_seed(seed_paths[1], datetime(2022, 12, 29)))
    return undated, dated


def test_public_api_is_listed() -> None:
    public = {name for name in dir(understand_module) if not name.startswith("_")}
    assert set(understand_module.__all__) <= public
    assert "understand" in understand_module.__all__ and "resolve_dates" in understand_module.__all__


# --- seeds ---------------------------------------------------------------------------------------------------


def test_seeds_are_english(seeds: tuple[Article, Article]) -> None:
    assert [a.language for a in seeds] == ["en", "en"]


def test_dated_seed_finds_friday_december_30(seeds: tuple[Article, Article]) -> None:
    dated = seeds[1]
    friday = [d for d in dated.dates if d.value == date(2022, 12, 30)]
    assert friday and "December 30" in friday[0].text and friday[0].anchored
    assert dated.text[friday[0].start : friday[0].start + len(friday[0].text)] == friday[0].text
    assert date(2022, 12, 29) in {d.value for d in dated.dates}  # "told the press on Thursday"
    assert date(2024, 1, 1) in {d.value for d in dated.dates}  # "from 2024"


def test_undated_seed_resolves_against_its_partner(seeds: tuple[Article, Article]) -> None:
    undated = seeds[0]
    assert all(d.value.year == 2024 for d in undated.dates)  # no reference: only "from 2024"
    mentions = resolve_dates(undated.text, THURSDAY, undated.language)
    fridays = [d for d in mentions if d.value == date(2022, 12, 30)]
    assert fridays and fridays[0].text == "Friday" and not fridays[0].anchored
    assert {d.value for d in mentions} >= {date(2022, 12, 29), date(2022, 12, 19), date(2022, 12, 26)}


@pytest.mark.parametrize(
    ("surface", "canonical"),
    [
        ("Putin", "vladimir putin"),
        ("Xi", "xi jinping"),
        ("Peskov", "dmitri peskov"),
        ("Moscow", "city:524901"),
        ("Beijing", "city:1816670"),
        ("China", "country:CN"),
        ("Russia", "country:RU"),
        ("Ukraine", "country:UA"),
    ],
)
def test_seed_entities_share_canonical_ids(
    seeds: tuple[Article, Article], surface: str, canonical: str
) -> None:
    for article in seeds:
        named = [e for e in article.entities if re.fullmatch(rf"\w+ {surface}|{surface}(?: \w+)?", e.text)]
        assert {e.canonical for e in named} == {canonical}, (article.id, named)


def test_poutine_merges_with_putin(seeds: tuple[Article, Article]) -> None:
    dated = seeds[1]
    putin = {e.text: e.count for e in dated.entities if e.canonical == "vladimir putin"}
    assert putin == {"Vladimir Putin": 1, "Vladimir Poutine": 1}
    assert {e.label for e in dated.entities if e.canonical == "vladimir putin"} == {"PER"}


def test_mr_peskov_merges_into_the_full_name(seeds: tuple[Article, Article]) -> None:
    undated = seeds[0]
    assert "Mr. Peskov" in undated.text
    peskov = {e.text: e.count for e in undated.entities if "peskov" in e.canonical.split()}
    assert peskov == {"Dmitry Peskov": 2, "Peskov": 1}
    assert {e.canonical for e in undated.entities if "Peskov" in e.text} == {"dmitri peskov"}


def test_seed_numbers(seeds: tuple[Article, Article]) -> None:
    undated, dated = seeds
    assert "2024" in undated.numbers and "2024" in dated.numbers
    assert "30" in dated.numbers  # December 30


# --- dates -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # a bare weekday: nearest within three days; future or past tense picks the side
        ("en", "Xi and Putin will meet on Friday.", date(2022, 12, 30)),
        ("en", "Peskov told reporters on Thursday.", date(2022, 12, 29)),
        ("en", "The minister said on Monday that talks failed.", date(2022, 12, 26)),
        ("en", "The minister will travel to Paris on Monday.", date(2023, 1, 2)),
        ("en", "Talks on Monday.", date(2022, 12, 26)),
        ("en", "Talks on Sunday.", date(2023, 1, 1)),
        ("en", "It happened last Friday.", date(2022, 12, 23)),
        ("en", "It happens next Thursday.", date(2023, 1, 5)),
        ("fr", "Ils se parleront vendredi.", date(2022, 12, 30)),
        ("fr", "Il a déclaré lundi que", date(2022, 12, 26)),
        ("fr", "C'était vendredi dernier.", date(2022, 12, 23)),
        ("de", "Sie werden am Freitag sprechen.", date(2022, 12, 30)),
        ("de", "Am Freitagabend wird gesprochen.", date(2022, 12, 30)),
        ("es", "Se reunirán el viernes.", date(2022, 12, 30)),
        ("es", "El próximo lunes habrá elecciones.", date(2023, 1, 2)),
        ("pt", "Eles vão conversar na sexta-feira.", date(2022, 12, 30)),
        ("it", "Si parleranno venerdì.", date(2022, 12, 30)),
        # absolute dates, the year nearest the reference when it isn't written
        ("en", "They meet on December 30.", date(2022, 12, 30)),
        ("en", "The deal is due January 3.", date(2023, 1, 3)),
        ("en", "Signed on Dec. 30, 2021.", date(2021, 12, 30)),
        ("fr", "Ils se parleront le 30 décembre.", date(2022, 12, 30)),
        ("fr", "Depuis le 1er janvier 2022.", date(2022, 1, 1)),
        ("de", "Das Treffen ist am 30. Dezember.", date(2022, 12, 30)),
        ("es", "La reunión será el 30 de diciembre de 2022.", date(2022, 12, 30)),
        ("pt", "A reunião será em 30 de dezembro.", date(2022, 12, 30)),
        ("it", "L'incontro è il 30 dicembre.", date(2022, 12, 30)),
        ("en", "Published 2022-12-30 at noon.", date(2022, 12, 30)),
        ("de", "Stand: 30.12.2022", date(2022, 12, 30)),
        ("en", "Filed 12/30/2022.", date(2022, 12, 30)),
        ("en", "Prices rose in December 2022.", date(2022, 12, 1)),
        ("en", "The pipeline will be built in 2024.", date(2024, 1, 1)),
        ("de", "Im Jahr 2024 soll die Pipeline fertig sein.", date(2024, 1, 1)),
        # relative days, weeks, months, years
        ("en", "He said yesterday.", date(2022, 12, 28)),
        ("en", "We will know tomorrow.", date(2022, 12, 30)),
        ("fr", "Il l'a dit hier.", date(2022, 12, 28)),
        ("de", "Er sagte gestern.", date(2022, 12, 28)),
        ("es", "Lo dijo ayer.", date(2022, 12, 28)),
        ("pt", "Ele disse ontem.", date(2022, 12, 28)),
        ("it", "Lo ha detto ieri.", date(2022, 12, 28)),
        ("de", "Wir sehen uns morgen.", date(2022, 12, 30)),
        ("es", "Nos vemos pasado mañana.", date(2022, 12, 31)),
        ("en", "It was signed 3 days ago.", date(2022, 12, 26)),
        ("fr", "Signé il y a 3 jours.", date(2022, 12, 26)),
        ("de", "Unterzeichnet vor 3 Tagen.", date(2022, 12, 26)),
        ("en", "Last week, Putin launched a deposit.", date(2022, 12, 19)),
        ("fr", "La semaine dernière, Poutine a lancé", date(2022, 12, 19)),
        ("de", "Vergangene Woche hat Putin", date(2022, 12, 19)),
        ("en", "Exercises were held this week.", date(2022, 12, 26)),
        ("en", "Prices fell last month.", date(2022, 11, 1)),
        ("it", "L'anno scorso i prezzi", date(2021, 1, 1)),
    ],
)
def test_dates_resolve_against_the_reference(language: str, text: str, expected: date) -> None:
    values = [d.value for d in resolve_dates(text, THURSDAY, language, anchored=True)]
    assert values == [expected], resolve_dates(text, THURSDAY, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Putin and Xi will meet on Friday, December 30 by videoconference."),
        ("fr", "Poutine et Xi se parleront vendredi 30 décembre par visioconférence."),
        ("de", "Putin und Xi sprechen am Freitag, 30. Dezember, per Video."),
        ("es", "Putin y Xi hablarán el viernes 30 de diciembre por videoconferencia."),
        ("pt", "Putin e Xi vão conversar na sexta-feira, 30 de dezembro."),
        ("it", "Putin e Xi si parleranno venerdì 30 dicembre."),
    ],
)
def test_weekday_and_date_are_one_mention(language: str, text: str) -> None:
    mentions = resolve_dates(text, THURSDAY, language, anchored=True)
    assert len(mentions) == 1 and mentions[0].value == date(2022, 12, 30)
    assert mentions[0].text.split()[0].lower() in text.lower() and "30" in mentions[0].text


def test_without_a_reference_only_full_dates_resolve() -> None:
    text = "On Friday, yesterday, December 30 and 30 December 2022, since 2014."
    assert [d.value for d in resolve_dates(text, None, "en")] == [date(2022, 12, 30), date(2014, 1, 1)]


def test_words_that_only_look_like_dates() -> None:
    assert resolve_dates("You may 5 times ask.", THURSDAY, "en") == []
    assert resolve_dates("Esta mañana llovió.", THURSDAY, "es") == []  # this morning, not tomorrow
    assert resolve_dates("Am Morgen regnete es.", THURSDAY, "de") == []  # in the morning


def test_anchored_only_when_resolved_against_the_articles_own_date() -> None:
    mentions = resolve_dates("On Friday, and on 30 December 2021.", THURSDAY, "en", anchored=False)
    assert [(d.value, d.anchored) for d in mentions] == [
        (date(2022, 12, 30), False),
        (date(2021, 12, 30), True),
    ]


def test_title_dates_have_no_offset() -> None:
    article = understand(Article(id="t", title="Talks set for Friday", text="Talks on Friday.",
                                 published=datetime(2022, 12, 29), language="en"))  # fmt: skip
    assert [(d.start, d.value) for d in article.dates] == [(-1, date(2022, 12, 30)), (9, date(2022, 12, 30))]


# --- entities --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Vladimir Putin", "Vladimir Poutine", "Wladimir Putin", "Vladímir Putin", "VLADIMIR PUTIN"]
)
def test_person_key_merges_transliterations(name: str) -> None:
    assert person_key(name) == "vladimir putin"


def test_person_key_keeps_different_people_apart() -> None:
    assert person_key("Dmitri Peskow") == person_key("Dmitry Peskov") != person_key("Dmitry Medvedev")
    assert person_key("Wolodymyr Selenskyj") == person_key("Volodymyr Zelensky")
    assert person_key("Joe Biden") != person_key("Hunter Biden")


@pytest.mark.parametrize(
    ("names", "canonical"),
    [
        (["Moscow", "Moscou", "Moskau", "Moscú", "Mosca", "موسكو"], "city:524901"),
        (["Beijing", "Pékin", "Peking", "Pekín", "Pechino"], "city:1816670"),
        (["China", "Chine", "Cina", "Chiny", "Çin", "الصين"], "country:CN"),
        (["Russia", "Russie", "Russland", "Rusia", "Rússia", "Rosja", "Rusya"], "country:RU"),
        (["United States", "U.S.", "États-Unis", "Vereinigte Staaten", "Estados Unidos"], "country:US"),
        (["Asia", "Asie", "Asien"], "continent:AS"),
        (["Mexico", "Mexique"], "country:MX"),
    ],
)
def test_places_across_languages(names: list[str], canonical: str) -> None:
    assert [lookup_place(n) for n in names] == [canonical] * len(names)


def test_unknown_places_and_common_words() -> None:
    assert lookup_place("Peskov") is None and lookup_place("Xi Jinping") is None


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        ("de", "Putin und Xi sprechen am Freitag",
         ("Der russische Präsident Wladimir Putin und Chinas Staatschef Xi Jinping sprechen am Freitag, teilte "
          "der Kreml mit. Kreml-Sprecher Dmitri Peskow sagte, Moskau und Peking seien Partner gegen die NATO.")),
        ("fr", "Poutine et Xi Jinping se parleront vendredi",
         ("Le président russe Vladimir Poutine et son homologue chinois Xi Jinping s'entretiendront vendredi, a "
          "annoncé le Kremlin. Le porte-parole Dmitri Peskov a indiqué que Moscou et Pékin, face à l'OTAN.")),
        ("es", "Putin y Xi hablarán el viernes",
         ("El presidente ruso, Vladímir Putin, y su homólogo chino, Xi Jinping, hablarán el viernes, anunció el "
          "Kremlin. El portavoz Dmitri Peskov dijo que Moscú y Pekín son socios frente a la OTAN.")),
        ("en", "Putin and Xi to talk on Friday",
         ("Russian President Vladimir Putin and Chinese President Xi Jinping will talk on Friday, the Kremlin "
          "said. Spokesman Dmitry Peskov said Moscow and Beijing are partners against NATO. Mr. Putin agreed.")),
    ],
)  # fmt: skip
def test_entities_agree_across_languages(language: str, title: str, text: str) -> None:
    entities = extract_entities(title, text, language)
    found = {e.canonical: e.label for e in entities}
    expected = {
        "vladimir putin": "PER", "xi jinping": "PER", "dmitri peskov": "PER", "kremlin": "ORG", "nato": "ORG",
        "city:524901": "LOC", "city:1816670": "LOC",
    }  # fmt: skip
    assert {c: found[c] for c in expected if c in found} == expected, sorted(found)
    # title and text: the surname in the title joins the full name in the text
    assert sum(e.count for e in entities if e.canonical == "vladimir putin") >= 2


def test_monsieur_surname_without_full_name_stays_a_surname() -> None:
    found = extract_entities("", "M. Peskov a indiqué que Moscou et Pékin sont partenaires.", "fr")
    assert ("peskov", "PER") in {(e.canonical, e.label) for e in found}


@pytest.mark.parametrize(
    ("language", "text", "expected", "absent"),
    [
        # small towns that are common words: only after a preposition of place
        ("de", "Corona: Bei der Impfstoffsuche hilft Köln, sagte man in Göttingen.",
         {"city:2886242", "city:2918632"}, {"city:5339631"}),
        ("tr", "Bir ölü İspanya Çin'i geçti: İspanya Sağlık Bakanlığı açıkladı.",
         {"country:ES", "country:CN"}, {"city:1275539", "ispanya cin"}),
        # titles before a name, months and pronouns that are not names, inflected organisation aliases
        ("de", ("Der verurteilte Kardinal George Pell kommt frei. Ende Mai halten Sie still, sagte Kardinal "
                "Pell. Die Europäischen Union schweigt."),
         {"georg pel", "european union"}, {"end mai", "halten sie", "pel", "kardinal georg pel"}),
        # a word the text also has in lower case is not a name
        ("es", "Para el Gobierno, la ley es clara para todos.", set(), {"city:3405870"}),
    ],
)  # fmt: skip
def test_fast_reader_guards(language: str, text: str, expected: set[str], absent: set[str]) -> None:
    found = {e.canonical for e in extract_entities("", text, language)}
    assert expected <= found and not absent & found, found


def test_caseless_script_finds_gazetteer_places() -> None:
    found = {
        e.canonical
        for e in extract_entities("", "قال الكرملين إن روسيا والصين ستعقدان محادثات في موسكو", "ar")
    }
    assert {"country:RU", "country:CN", "city:524901"} <= found


def test_missing_spacy_model_falls_back_to_the_fast_reader(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(entities_module.SPACY_MODELS, "xx", "no_such_spacy_model")
    with caplog.at_level(logging.WARNING, logger=entities_module.__name__):
        first = extract_entities("", "President Vladimir Putin met officials in Moscow.", "xx")
        extract_entities("", "President Vladimir Putin met officials in Moscow.", "xx")
    assert {e.canonical for e in first} == {"vladimir putin", "city:524901"}
    assert sum("no_such_spacy_model" in r.getMessage() for r in caplog.records) <= 1


# --- numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "In 2024, 30 people came.", ["2024", "30"]),
        ("en", "Inflation hit 3.5% and 1,234.5 tonnes.", ["3.5%", "1234.5"]),
        ("fr", "L'inflation a atteint 3,5 % et 1.234,5 tonnes.", ["3.5%", "1234.5"]),
        ("de", "Die Inflation lag bei 3,5 Prozent; 1.234 Menschen.", ["3.5%", "1234"]),
        ("en", "A $5 billion loan.", ["5000000000 USD"]),
        ("fr", "Un prêt de 5 milliards de dollars.", ["5000000000 USD"]),
        ("de", "Ein Kredit über 5 Milliarden Dollar.", ["5000000000 USD"]),
        ("es", "Un préstamo de 2,5 millones de euros.", ["2500000 EUR"]),
        ("en", "At 10:30 GMT+3, COVID-19 and G20.", ["10:30", "3"]),
    ],
)
def test_numbers_are_normalised(language: str, text: str, expected: list[str]) -> None:
    assert extract_numbers(text, language) == expected


# --- language and the whole stage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Russian President Vladimir Putin and Chinese President Xi Jinping will meet by videoconference.",
            "en",
        ),
        (
            "Le président russe Vladimir Poutine et son homologue chinois se parleront par visioconférence.",
            "fr",
        ),
        ("Der russische Präsident Wladimir Putin und der chinesische Staatschef sprechen per Video.", "de"),
        ("El presidente ruso Vladímir Putin y su homólogo chino hablarán por videoconferencia.", "es"),
    ],
)
def test_language(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_language_falls_back_on_odd_text() -> None:
    assert detect_language("\x00\x07", hint="en") == "en"
    assert detect_language("ok") is None


def test_understand_keeps_a_given_language_and_can_skip_entities() -> None:
    article = Article(id="x", text="Vladimir Putin spoke in Moscow on Friday.", language="fr",
                      published=datetime(2022, 12, 29))  # fmt: skip
    understand(article, entities=False)
    assert article.language == "fr" and article.entities == []
    assert understand(article).entities and article.language == "fr"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(max_size=80),
    text=st.text(max_size=600),
    published=st.none() | st.datetimes(),
    language=st.none() | st.sampled_from(["en", "fr", "de", "es", "pt", "it", "tr", "pl", "ar", "xx"]),
)
def test_understand_never_raises(
    title: str, text: str, published: datetime | None, language: str | None
) -> None:
    article = understand(Article(id="h", title=title, text=text, published=published, language=language))
    assert all(-1 <= d.start < max(len(text), 1) for d in article.dates)
    assert all(e.label in ("PER", "ORG", "LOC") and e.count >= 1 for e in article.entities)


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("Friday December 30 2024 hier gestern 3 days ago,.")), max_size=200),
       reference=st.dates())  # fmt: skip
def test_resolve_dates_never_raises_at_the_calendar_edges(text: str, reference: date) -> None:
    for mention in resolve_dates(text, reference, "en"):
        assert text[mention.start : mention.start + len(mention.text)] == mention.text


_DATE_PIECES = [
    "Friday", "vendredi", "Freitagabend", "30", "30.", "1er", "Dezember", "décembre", "de", "diciembre", "Dec.",
    "2024", "2022-12-30", "30/12/2022", "in", "seit", "im Jahr", "last", "next", "dernier", "hier", "gestern",
    "ayer", "il y a", "3", "days", "ago", "jours", "vor", "Wochen", "hace", "días", "l'an dernier", "May", "may",
    "morgen", "Morgen", "la mañana", "gün önce", "temu", "قبل", "أيام", " ", " ", "\n", ",", ".", "-", "%",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_DATE_PIECES), max_size=40),
    language=st.sampled_from([*dates_module.DATE_LANGUAGES, None, "xx"]),
)
def test_date_scan_tries_every_place_a_date_can_start(pieces: list[str], language: str | None) -> None:
    """resolve_dates tries its pattern only where a digit or a date word starts, and the relative counts only
    when their union matches: both must find what the plain scans find."""
    text = "".join(pieces)
    tables = dates_module._tables(language)
    found = [(m.span(), m.lastgroup) for m in dates_module._matches(text, tables)]
    assert found == [(m.span(), m.lastgroup) for m in tables.pattern.finditer(text)]
    any_relative = any(pattern.search(text) for pattern, _, _ in tables.relative_regex)
    assert any_relative == bool(tables.relative_any and tables.relative_any.search(text))
