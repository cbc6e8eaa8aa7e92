"""Small text utilities shared by the stages: normalisation, words, sentences, paragraphs."""

from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends at . ! ? … (optionally followed by a closing quote or bracket) before whitespace and an
# upper-case letter, a digit or an opening quote; common abbreviations (Mr., Dr., U.S.) don't end one.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”’)\]]?\s+(?=[\"'«“‘(\[]?[\w])", re.UNICODE)
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Jr|Sr|vs|etc|No|Nr|Abs|Hr|Fr|Sra|Sr|Mme|Mlle|M)"
    r"|\b[A-Z]|\b[A-Z]\.[A-Z])\.$"
)


def normalize(text: str) -> str:
    """Lower case, Unicode NFKC, punctuation dropped, spaces collapsed: the form compared for duplicates."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(tokens: list[str], size: int) -> set[str]:
    """The word n-grams of a token list (none when it is shorter than `size`)."""
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|; 0 when either set is empty."""
    return len(a & b) / len(a | b) if a and b else 0.0


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs (blocks separated by blank lines, or lines when there are no blank lines)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
    return [b for b in blocks if b]


def sentences(text: str) -> list[str]:
    """Split a text into sentences (multilingual, rule-based); line breaks always end a sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            head = line[start : match.start()].rstrip()
            if _ABBREV.search(head):
                continue
            if head:
                out.append(head)
            start = match.end()
        tail = line[start:].strip()
        if tail:
            out.append(tail)
    return out
