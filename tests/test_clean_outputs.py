"""The clean stage gives the very output it gave when tests/clean_outputs.json was recorded (commit 3b5a7d9,
before the prefilters), text by text: the SemEval texts, the sample articles, the seeds, and 3,000 texts built
from SemEval sentences mixed with boilerplate in every rule's forms, spacings and bullets.

    python tests/test_clean_outputs.py --record     # only when a change of the removals is meant
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import EXAMPLES, SEEDS, SEMEVAL

from samestory.article import Article
from samestory.clean import clean
from samestory.text import normalize, sentences

RECORDED = Path(__file__).with_name("clean_outputs.json")

# Boilerplate pieces in the forms the rules know, and near misses they must leave alone.
_PIECES = [
    "Also read: Minister resigns after expenses row", "• See also: Ten tips to keep your home safe",
    "Related: Floods hit the north of the country", "Read more", "READ MORE", "You May Also Like", "Most read",
    "Recommended:", "Leave a Reply", "Your email address will not be published. Required fields are marked *",
    "Name *", "Email *", "Website", "Post Comment", "Share this:", "Share this: Twitter Facebook Print Like this:",
    "Subscribe to our newsletter", "Follow us on Twitter", "We use cookies to improve your experience.",
    "Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "© 2025 Northwire Media. All rights reserved.",
    "date 2022-12-29", "Published: 12 March 2024, 10:15", "Updated 2024-03-12", "À lire aussi : Le prix de l'essence baisse",
    "» Lire aussi : Cinq idées de sorties", "Vous aimerez aussi", "Laisser un commentaire", "Partager", "Publicité",
    "Tous droits réservés", "Lesen Sie auch: Unwetter in Bayern – Keller vollgelaufen", "Mehr zum Thema: Pegelstände",
    "Das könnte Sie auch interessieren", "Schreibe einen Kommentar", "Teilen", "Anzeige", "ANZEIGE",
    "Lee también: La ola de calor dispara el consumo", "Te puede interesar: Los 10 mejores chiringuitos",
    "También te puede gustar", "Deja una respuesta", "Publicidad", "Leia também: Obras na Avenida da Boavista",
    "Deixe um comentário", "Publicidade", "Leggi anche: Il maltempo colpisce la Liguria", "Lascia un commento",
    "Pubblicità", "About the Author: Brandon Keel", '"Award-winning coffee fanatic. Twitter lover."',
    "Über den Autor: Jonas Feldmann", "„Kaffeeliebhaber. Preisgekrönter Internet-Nerd.“", "3 Comments",
    "Sign up to free email alerts from dailynews - Daily Subscribe", "Thank you for subscribing",
    "See our privacy notice", "Invalid email", "Rubriklistenbild: © picture alliance / dpa", "Foto: © AFP",
    "read alsoOil: Russia has already redirected its deliveries", "- Publicidad -", "Advertisement Advertisement",
    "Share this article", "Compartir", "Condividi", "Accept all cookies", "Copyright 2023 Reuters",
    "(c) AP", "Sobre o autor: Hermínia Sousa", "Follow Anna on Instagram", "Suivez-nous", "Síguenos",
    "Related articles", "More on this story", "Trending now", "latest news:", "Most Popular",
    "Share prices fell 3% on Monday.", "Related charges were filed.", "The advertisement was banned.",
    "Die Polizei hat Anzeige erstattet.", "Date and place of the summit have not been announced.",
]  # fmt: skip
_INLINE = [
    " Advertisement Advertisement ", " Read also: ", " READ ALSO:” ", " Lesen Sie auch: ", " Lire aussi : ",
    " - Publicidad - ", " Share this story: Facebook Twitter", " © dpa", "  Related: ", " Anzeige ",
    " Te puede interesar: ", " sign up to free daily email alerts from x ", " Foto: © Reuters / A. B.",
]  # fmt: skip
_SEPARATORS = ["\n", "\n\n", " ", "  ", "\r\n", ". ", "\n \n", "\n\n\n", "\t\n", "\u00a0\n"]
_BULLETS = ["", "", "", "• ", "- ", "» ", "> ", "* ", "| ", "   "]


def _sentence_pool() -> list[tuple[str, str]]:
    pool = []
    for line in SEMEVAL.read_text(encoding="utf-8").splitlines()[:300]:
        row = json.loads(line)
        for side in ("1", "2"):
            pool += [(row[f"lang{side}"], s) for s in sentences(row[f"text{side}"])]
    return pool


def _built(count: int) -> Iterator[tuple[str, Article]]:
    """Texts mixing story sentences, boilerplate lines and glued pieces, repeated lines and titles."""
    rng = random.Random(17)
    pool = _sentence_pool()

    def pick(items: list) -> object:  # type: ignore[type-arg]
        return items[int(rng.random() * len(items))]

    for n in range(count):
        language = str(pick(pool)[0])  # type: ignore[index]
        parts: list[str] = []
        for _ in range(1 + int(rng.random() * 10)):
            x = rng.random()
            if x < 0.45:
                part = " ".join(str(pick(pool)[1]) for _ in range(1 + int(rng.random() * 4)))  # type: ignore[index]
            elif x < 0.75:
                part = str(pick(_BULLETS)) + str(pick(_PIECES))
            elif x < 0.88:
                part = str(pick(pool)[1]) + str(pick(_INLINE)) + str(pick(pool)[1])  # type: ignore[index]
            elif parts:
                part = str(pick(parts))
                if rng.random() < 0.5:  # contained in a longer line
                    part = f"{part} {pick(pool)[1]}" if rng.random() < 0.5 else part.upper()  # type: ignore[index]
            else:
                continue
            parts.append(part)
        title = ""
        if parts and rng.random() < 0.3:
            title = parts[0] if rng.random() < 0.5 else str(pick(pool)[1])  # type: ignore[index]
            if rng.random() < 0.5:
                parts.insert(0, title.upper())
        text = "".join(part + str(pick(_SEPARATORS)) for part in parts)
        yield f"built:{n}", Article(id=str(n), title=title, text=text, language=language)


def _cases() -> Iterator[tuple[str, Article]]:
    for number, line in enumerate(SEMEVAL.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        for side in ("1", "2"):
            text, language = row[f"text{side}"], row[f"lang{side}"]
            yield f"semeval:{number}:{side}", Article(id="x", text=text, language=language)
    for path in sorted((EXAMPLES / "articles").rglob("*.txt")):
        header, body = path.read_text(encoding="utf-8").split("\n\n", 1)
        fields = dict(line.split(" ", 1) for line in header.splitlines())
        yield f"example:{path.relative_to(EXAMPLES)}", Article(
            id="x", title=fields.get("title", ""), text=body, language=fields.get("lang")
        )
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        first = text.strip().splitlines()[0].strip()
        yield f"seed:{path.name}", Article(id="x", title="" if first.startswith("date ") else first, text=text)
    yield from _built(3000)


def _digest(article: Article) -> str:
    cleaned = clean(article)
    out = json.dumps([cleaned.text, [(r.rule, r.text) for r in cleaned.removed]], ensure_ascii=False)
    return hashlib.sha1(out.encode()).hexdigest()[:12]


def test_clean_output_is_the_recorded_one() -> None:
    if not SEMEVAL.exists() or not SEEDS.exists():
        pytest.skip("the shared SemEval texts or seeds are not here")
    recorded = json.loads(RECORDED.read_text())
    now = {name: _digest(article) for name, article in _cases()}
    assert now.keys() == recorded.keys()
    changed = [name for name in now if now[name] != recorded[name]]
    assert not changed, f"{len(changed)} text(s) clean differently, e.g. {changed[:5]}"


def test_clean_all_in_worker_processes_gives_the_same_articles_in_order() -> None:
    """Chunks cleaned in two processes come back whole and in input order."""
    from samestory.clean import clean_all

    articles = [article for _, article in _built(600)]
    alone = [(a.id, a.text, a.removed) for a in clean_all(_built_copy(articles), workers=0)]
    pooled = [(a.id, a.text, a.removed) for a in clean_all(_built_copy(articles), workers=2, chunk=64)]
    assert pooled == alone and len(alone) == 600


def _built_copy(articles: list[Article]) -> Iterator[Article]:
    return (Article(id=a.id, title=a.title, text=a.text, language=a.language) for a in articles)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["Council", "approves", "BUDGET", "ﬁnal", "Straße", "x²", "É", "e\u0301", "--", "…"]),
             max_size=8),
    st.text(alphabet=st.sampled_from(list(" ,.\n-\u00a0\u0301")), max_size=6),
    st.integers(min_value=0, max_value=120),
)
def test_title_test_reads_as_normalize_does(words: list[str], gap: str, padding: int) -> None:
    """The repeated-title test, which may read only the start of a line, agrees with comparing `normalize`."""
    from samestory.clean import _has_words

    title = " ".join(words)
    for line in (title, f"{title}{gap}", f"{'-' * padding} {gap.join(words)}", f"{title} {'x ' * padding}"):
        assert _has_words(line, normalize(title).split()) == (normalize(line) == normalize(title)), line


def test_in_line_rules_are_found_past_a_long_run_of_spaces() -> None:
    """The windows the in-line rules are looked for in stretch over white space as the rules do."""
    from samestory.clean import _AFTER

    story = "The council approved the budget on Tuesday. "
    for gap in (" " * (_AFTER + 50), "\t" * (_AFTER + 5)):
        article = clean(Article(id="x", text=f"{story}Related{gap}: Floods hit the north again"))
        assert [r.rule for r in article.removed] == ["related_link"], gap[:1]


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    RECORDED.write_text(json.dumps({name: _digest(article) for name, article in _cases()}, indent=0) + "\n")
