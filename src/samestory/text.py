"""Small text utilities shared by the stages: normalisation, words, sentences, paragraphs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

WORD = re.compile(r"\w+", re.UNICODE)  # a word of `normalize` and `words`
# A sentence ends at . ! ? … (optionally followed by a closing quote or bracket) before whitespace and an
# upper-case letter, a digit or an opening quote; common abbreviations (Mr., Dr., U.S.) don't end one.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'»”’)\]]?\s+(?=[\"'«“‘(\[]?[\w])", re.UNICODE)
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Jr|Sr|vs|etc|No|Nr|Abs|Hr|Fr|Sra|Sr|Mme|Mlle|M)"
    r"|\b[A-Z]|\b[A-Z]\.[A-Z])\.$"
)


def normalize(text: str) -> str:
    """Lower case, Unicode NFKC, punctuation dropped, spaces collapsed: the form compared for duplicates."""
    return " ".join(WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of `words` as a trie, which `re` matches much faster than a flat alternation."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        end = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return build(tree)


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


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


# Scripts written without spaces between words (Han, kana), where one word is about two characters.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNSPACED_CHARS_PER_WORD = 2


def word_count(text: str) -> int:
    """About how many words a text has, in any script: whitespace-separated words, and for Chinese and
    Japanese (no spaces between words) one word per two characters."""
    unspaced = len(_UNSPACED.findall(text))
    if not unspaced:
        return len(text.split())
    return len(_UNSPACED.sub(" ", text).split()) + unspaced // _UNSPACED_CHARS_PER_WORD


def headline(title: str, text: str, limit: int) -> str:
    """A title, else the text's first sentence (cut at `limit` characters): what heads an untitled article."""
    if title.strip():
        return title.strip()
    first = next(iter(sentences(text[: 4 * limit])), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"
