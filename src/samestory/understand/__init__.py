"""The understand stage: language, dates, entities (with aliases) and numbers of an article.

understand(article)            fills article.language, dates, entities and numbers, returns the article
resolve_dates(text, ref, lang) the date mentions of a text against any reference date (for an undated
                               article compared with a dated one)
"""

from __future__ import annotations

from samestory import config
from samestory.article import Article
from samestory.understand.dates import resolve_dates
from samestory.understand.entities import extract_entities, person_key
from samestory.understand.language import detect_language
from samestory.understand.numbers import extract_numbers
from samestory.understand.places import lookup_place

__all__ = [
    "detect_language",
    "extract_entities",
    "extract_numbers",
    "lookup_place",
    "person_key",
    "resolve_dates",
    "understand",
]


def understand(article: Article, *, entities: bool = True, ner_chars: int = config.UNDERSTAND_NER_CHARS) -> Article:
    """Fill `article`'s language (unless given; from the text, a page's `page_language` as the hint), dates, numbers and, when `entities`, its entities.

    Dates are resolved against the publication date (relative ones are left out when there is none);
    mentions in the title have start -1, those in the text their offset in `article.text`.
    """
    if not article.language:  # an HTML page's <html lang> is only a hint: templates mislabel pages
        hint = article.meta.get("page_language")
        article.language = detect_language(f"{article.title}\n{article.text}", hint=hint if isinstance(hint, str) else None)
    language = article.language
    reference = article.published_date
    title_dates = resolve_dates(article.title, reference, language, anchored=True) if article.title else []
    for mention in title_dates:
        mention.start = -1
    article.dates = title_dates + resolve_dates(article.text, reference, language, anchored=True)
    article.numbers = extract_numbers(article.text, language)
    if entities:
        article.entities = extract_entities(article.title, article.text, language, ner_chars=ner_chars)
    return article
