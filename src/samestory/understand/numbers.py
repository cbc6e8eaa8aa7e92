"""Numbers, percentages, amounts of money and clock times, normalised so they compare across languages.

"1,234.5" (en) and "1.234,5" (de) -> "1234.5"; "3,5 %" and "3.5 per cent" -> "3.5%"; "$5 billion",
"5 milliards de dollars" and "5 Milliarden Dollar" -> "5000000000 USD"; "10:30" -> "10:30". A lone
separator before three digits ("1,234", "1.234") is a thousands separator in English and a decimal one
nowhere else: "1.234" in German is 1234, in English 1.234.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_CURRENCY_SYMBOLS = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₽": "RUB",
    "₺": "TRY",
    "₹": "INR",
}
_CURRENCY_WORDS = {
    "USD": "dollar dollars dollar dólar dólares dollari usd doları dolarów dolarów dolary",
    "EUR": "euro euros eur avro euro",
    "GBP": "pound pounds gbp pfund livres sterling sterlina sterline",
    "CNY": "yuan renminbi cny",
    "JPY": "yen jpy",
    "RUB": "rouble roubles ruble rubles rubel rublo rublos rubli rub",
    "TRY": "lira tl liras",
    "PLN": "zł złotych zloty pln",
    "CHF": "franken chf",
}
_CURRENCY = {word: code for code, words in _CURRENCY_WORDS.items() for word in words.split()}
_SCALES = {
    "thousand": 3, "thousands": 3, "mille": 3, "tausend": 3, "mil": 3, "bin": 3, "tys": 3,
    "million": 6, "millions": 6, "mn": 6, "m": 6, "mio": 6, "millionen": 6, "millón": 6, "millones": 6,
    "milhão": 6, "milhões": 6, "milione": 6, "milioni": 6, "milyon": 6, "mln": 6, "miliony": 6, "milionów": 6,
    "billion": 9, "billions": 9, "bn": 9, "b": 9, "milliard": 9, "milliards": 9, "mrd": 9, "milliarde": 9,
    "milliarden": 9, "mil millones": 9, "bilhão": 9, "bilhões": 9, "miliardo": 9, "miliardi": 9,
    "milyar": 9, "mld": 9, "miliardy": 9, "miliardów": 9,
    "trillion": 12, "trillions": 12, "billón": 12, "billones": 12, "billionen": 12, "trilhão": 12,
    "trilhões": 12,
}  # fmt: skip
_LONG_SCALE = ("de", "fr", "es", "it", "pt", "nl", "pl")  # "billion" = 10^12 there
_PERCENT = r"%|per ?cent|percent|pour ?cent|prozent|por ?ciento|por ?cento|per ?cento|procent"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# What a number can start with: a digit, a currency symbol or "%" before it, or the space before it.
_NUMBER_FIRST = "".join(sorted({re.escape(symbol[0]) for symbol in _CURRENCY_SYMBOLS} | {"%"}))
_NUMBER = re.compile(
    rf"(?=[\d\s{_NUMBER_FIRST}])"  # a quick look first: `re` would otherwise try the whole pattern everywhere
    r"(?<![\w.,/])(?<![^\W\d_]-)"
    r"(?:(?P<time>[0-2]?\d:[0-5]\d)(?!\d)"
    rf"|(?P<pre>{_alternation(list(_CURRENCY_SYMBOLS))}|%)?\s?"
    r"(?P<num>\d{1,3}(?:(?P<sep>[,.\u00a0\u202f])\d{3}(?!\d))(?:(?P=sep)\d{3}(?!\d))*(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?:st|nd|rd|th|er|e|º|°)?"
    rf"(?:\s?(?P<scale>{_alternation(list(_SCALES))})\b\.?)?"
    rf"(?:\s?(?P<pct>{_PERCENT})(?!\w))?"
    r"(?:\s?(?:de\s|d['’]\s?|of\s)?"
    rf"(?P<post>{_alternation(list(_CURRENCY))}(?!\w)|{_alternation(list(_CURRENCY_SYMBOLS))}))?"
    r")(?![^\W_])",
    re.IGNORECASE,
)


def _value(number: str, language: str | None) -> Decimal:
    """The value of a written number, with the language's separators."""
    number = number.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    commas, dots = number.count(","), number.count(".")
    if commas and dots:  # the last separator is the decimal one
        decimal = "," if number.rfind(",") > number.rfind(".") else "."
    elif commas + dots > 1:  # the same separator several times: thousands
        decimal = ""
    elif commas + dots == 1:
        sep = "," if commas else "."
        after = len(number) - number.index(sep) - 1
        if after != 3:
            decimal = sep
        elif language in (None, "en", "zh", "ja", "ko"):
            decimal = "."
        else:
            decimal = ","
    else:
        decimal = ""
    thousands = {",", "."} - {decimal}
    for sep in thousands:
        number = number.replace(sep, "")
    return Decimal(number.replace(",", "."))


def _format(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def extract_numbers(text: str, language: str | None = None) -> list[str]:
    """The numbers of `text`, normalised, in order of appearance (repeats kept)."""
    out = []
    for m in _NUMBER.finditer(text):
        if m["time"]:
            out.append(m["time"])
            continue
        try:
            value = _value(m["num"], language)
        except InvalidOperation:
            continue
        scale = (m["scale"] or "").lower().rstrip(".")
        if scale:
            exponent = _SCALES.get(scale, 0)
            if scale in ("billion", "billions") and language in _LONG_SCALE:
                exponent = 12
            if scale in ("m", "b", "bn", "mn") and not (m["pre"] or m["post"]):  # "5 m" is five metres
                exponent = 0
            value = value.scaleb(exponent)
        if m["pct"] or m["pre"] == "%":
            out.append(f"{_format(value)}%")
            continue
        currency = m["pre"] or m["post"]
        if currency:
            code = _CURRENCY_SYMBOLS.get(currency.lower()) or _CURRENCY.get(currency.lower())
            out.append(f"{_format(value)} {code}" if code else _format(value))
        else:
            out.append(_format(value))
    return out
