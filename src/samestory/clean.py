"""The clean stage: remove news boilerplate (related links, bios, comment forms, ads, repeats), recording each removal.

Every rule is anchored: a whole line that is known boilerplate, a known marker at a line start or right after a
sentence end, or a paragraph repeated verbatim. A sentence of the story is never matched by a rule on its own.
Rules cover en, fr, de, es, pt and it; `Article.removed` names the rule behind each removed piece.
"""

from __future__ import annotations

import bisect
import logging
import multiprocessing
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from ahocorasick_rs import AhoCorasick

from samestory import config
from samestory.article import Article, Removal
from samestory.text import WORD, normalize

log = logging.getLogger(__name__)

_BULLET_CHARS = r"•·▪►▶➤→»›>*+|\-–—"
_BULLET = re.compile(rf"^[\s{_BULLET_CHARS}]+")

# Related-link markers. Strong markers need no colon and may be glued to the link title ("read alsoOil: ...").
_STRONG = (
    r"also read|read also|see also|more on this(?: story| topic)?|related (?:articles|stories|coverage|content|news|reading)"
    r"|[àa] lire aussi|[àa] lire également|lire aussi|lire également|voir aussi|[àa] voir aussi|sur le même sujet"
    r"|lesen sie auch|lesen sie außerdem|mehr zum thema|siehe auch|auch interessant"
    r"|lee también|lea también|te puede interesar|le puede interesar|ver también|véase también"
    r"|leia também|leia mais|veja também|veja mais"
    r"|leggi anche|vedi anche|potrebbe interessarti"
)
# Weak markers are related links only when a colon follows ("Related: ...").
_WEAK = (
    r"related|more|read|see|also|[àa] lire|lire|mehr|lesen|lee|lea|más información|te recomendamos|leia|veja|saiba mais"
    r"|leggi|approfondisci"
)
_RELATED_AT_START = re.compile(
    rf"^(?:(?:{_STRONG})\b|(?:{_STRONG})(?=[A-ZÀ-Ý])|(?:{_WEAK})\s*[:：])", re.IGNORECASE
)
# A whole short line may also be a bare "Read more" link.
_RELATED_LINE = re.compile(rf"^(?:read more\b|{_RELATED_AT_START.pattern[1:]})", re.IGNORECASE)
# In the middle of a line, a marker counts only right after a sentence end or a wide gap.
_RELATED_INLINE = re.compile(
    rf"(?:(?<=[.!?…\"”»)’]\s)|(?<=\s\s))(?:(?:{_STRONG})(?:\b|(?=[A-ZÀ-Ý]))|related\s*[:：])", re.IGNORECASE
)
# Every strong marker contains one of these words: where none is, the in-line markers are not looked for.
_RELATED_WORDS = (
    "also read", "read also", "see also", "more on this", "related", "lire aussi", "lire également", "voir aussi",
    "sur le même sujet", "lesen sie auch", "lesen sie außerdem", "mehr zum thema", "siehe auch", "auch interessant",
    "lee también", "lea también", "puede interesar", "ver también", "véase también", "leia também", "leia mais",
    "veja também", "veja mais", "leggi anche", "vedi anche", "potrebbe interessarti",
)  # fmt: skip
_MARKER_CHARS = " \t\u00a0:：-–—|»"  # between a related-link marker and its title

_RECOMMENDED = re.compile(
    r"^(?:you may also like|you might also like|recommended(?: for you| stories| articles| reading)?|most read|most popular"
    r"|trending(?: now)?|popular (?:now|stories)|more stories|latest news|vous aimerez aussi|vous pourriez aussi aimer"
    r"|les plus lus|les plus lues|le plus lu|das könnte sie auch interessieren|meistgelesen|meistgelesene artikel"
    r"|beliebte artikel|empfohlen|(?:también )?te puede gustar|lo más leído|más leídas|más leídos|recomendados?"
    r"|pode também gostar|você também pode gostar|também pode gostar|mais lidas|mais lidos|ti potrebbe interessare"
    r"|i più letti|più letti|potrebbe piacerti anche)\s*[:：]?$",
    re.IGNORECASE,
)
_ADS = (
    r"advertisements?|advertising|sponsored(?: content)?|publicité|publicite|annonce|anzeige|werbung|publicidad"
    r"|publicidade|pubblicità"
)
_AD_LINE = re.compile(
    rf"^(?:{_ADS}|story continues below(?: advertisement)?|article continues below(?: advertisement)?"
    r"|la suite après (?:cette )?(?:la )?publicité|weiterlesen nach der anzeige|continúa leyendo|continue reading below)"
    r"\s*[:.]?$",
    re.IGNORECASE,
)
# An ad label between sentences: "pandemic. Advertisement Advertisement But ..." or "- Publicidad -". Capitalised
# only: "die Anzeige gegen ..." is German for a police complaint.
_ADS_CAPITALISED = (
    r"Advertisements?|ADVERTISEMENT|Advertising|Sponsored|Publicité|Annonce|Anzeige|ANZEIGE|Werbung|Publicidad|Publicidade"
    r"|Pubblicità"
)
_AD_INLINE = re.compile(
    rf"(?:(?<=^)|(?<=[.!?…\"”»)]\s)|(?<=\s\s))(?:{_ADS_CAPITALISED})(?:\s+(?:{_ADS_CAPITALISED}))*"
    rf"(?=\s+[\"“«„]?[A-ZÀ-Ý]|\s*$)|(?<=\s)[-–—]\s*(?:{_ADS_CAPITALISED})\s*[-–—](?=\s)"
)
_COMMENT_HEAD = re.compile(
    r"^(?:leave a (?:reply|comment)|post a comment|add a comment|cancel reply|\d* ?comments?|laisser un commentaire"
    r"|laisser une réponse|commentaires?|schreibe(?:n sie)? einen kommentar|hinterlasse einen kommentar"
    r"|kommentare?|deja (?:una respuesta|un comentario)|comentarios?|deixe (?:uma resposta|um comentário|o seu comentário)"
    r"|comentários?|lascia un commento|lascia una risposta|commenti)\s*[:]?$",
    re.IGNORECASE,
)
_COMMENT_PREFIX = re.compile(
    r"^(?:your email address will not be published|required fields are marked|save my name, email"
    r"|votre adresse (?:e-?mail|de messagerie) ne sera pas publiée|les champs obligatoires sont indiqués"
    r"|(?:deine|ihre) e-mail-adresse wird nicht veröffentlicht|erforderliche felder sind"
    r"|tu (?:dirección de )?correo electrónico no será publicad[oa]|los campos obligatorios están marcados"
    r"|o seu endereço de e-?mail não será publicado|campos obrigatórios são marcados"
    r"|il tuo indirizzo (?:e-?mail )?non sarà pubblicato|i campi obbligatori sono contrassegnati)",
    re.IGNORECASE,
)
# Form fields, removed only after a comment heading ("Name *", "Website", "Post Comment").
_COMMENT_FIELD = re.compile(
    r"^(?:name|email|e-mail|website|comment|post comment|submit|nom|site web|commentaire|laisser un commentaire"
    r"|kommentar|webseite|kommentar abschicken|nombre|correo electrónico|web|publicar comentario|nome|site"
    r"|comentário|publicar comentário|sito web|commento|invia commento)\s*\*?$",
    re.IGNORECASE,
)
_AUTHOR_HEAD = re.compile(
    r"^(?:about the author|about the writer|[àa] propos de l['’]auteur|über den autor|über die autorin|zum autor|zur autorin"
    r"|sobre el autor|sobre la autora|acerca del autor|sobre o autor|sobre a autora|sull['’]autore)\b\s*[:：\-–]?.{0,80}$",
    re.IGNORECASE,
)
_SHARE_HEAD = re.compile(
    r"^(?:(?:read or )?share(?: this(?: article| story| post| page)?| on| via| the article)?|partager|partagez"
    r"|teilen|artikel teilen|diesen artikel teilen|compartir|comparte|compartilhe|compartilhar|partilhar|partilhe"
    r"|condividi)\b",
    re.IGNORECASE,
)


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string."""
    return frozenset(text.split())


_SOCIAL = _words(
    """facebook twitter x linkedin whatsapp email e mail print pinterest telegram reddit messenger copy link like this
    loading more tumblr pocket skype imprimer drucken imprimir stampa sur on via auf en em su cet article artikel diesen
    esta noticia notícia story"""
)
_FOLLOW = re.compile(
    r"^(?:follow us|follow (?:\w+ )?on (?:twitter|facebook|instagram|x|linkedin|tiktok|youtube)|suivez-nous"
    r"|suivez \w+ sur|folgen sie uns|folge uns|themen folgen|síguenos|siga-nos|segue-nos|seguici)\b",
    re.IGNORECASE,
)
_SUBSCRIBE = re.compile(
    r"^(?:subscribe|sign up|abonnez-vous|inscrivez-vous|newsletter abonnieren|jetzt abonnieren|melden sie sich"
    r"|suscríbete|suscribite|assine|inscreva-se|iscriviti)\b(?=.*(?:newsletter|subscri|abonn|suscr|assin|inscri|iscri"
    r"|e-?mail|alert))",
    re.IGNORECASE,
)
_COOKIE = re.compile(
    r"^(?:we use cookies|this (?:web)?site uses cookies|by (?:continuing|using) (?:to use )?(?:this|our) (?:site|website)"
    r"|nous utilisons des cookies|ce site utilise des cookies|en poursuivant votre navigation|wir verwenden cookies"
    r"|diese (?:web)?seite verwendet cookies|utilizamos cookies|usamos cookies|este (?:sitio|site) (?:web )?(?:usa|utiliza) cookies"
    r"|questo sito utilizza (?:i )?cookie|accept(?: all)? cookies|cookie (?:settings|policy|preferences)"
    r"|tout accepter|alle akzeptieren|aceptar todas|aceitar todos|accetta tutti)",
    re.IGNORECASE,
)
_COPYRIGHT_LINE = re.compile(
    r"^(?:©|\(c\)\s|copyright\b|all rights reserved|tous droits réservés|alle rechte vorbehalten"
    r"|todos los derechos reservados|todos os direitos reservados|tutti i diritti riservati)",
    re.IGNORECASE,
)
# A credit or copyright at the end of a line: "Rubriklistenbild: © picture alliance / dpa".
_COPYRIGHT_TAIL = re.compile(
    r"(?<![(\w])(?:(?:rubriklistenbild|bild|foto|photo|image|credit|quelle)\s*:\s*)?(?:copyright\s*)?©[^\n]*$",
    re.IGNORECASE,
)
_RIGHTS = re.compile(
    r"rights reserved|droits réservés|rechte vorbehalten|derechos reservados|direitos reservados|diritti riservati",
    re.IGNORECASE,
)
_SHARE_TAIL = re.compile(
    r"(?<=\s)(?:read or )?share this(?: story| article)?\s*:[^\n]{0,200}$", re.IGNORECASE
)
_WIDGET = re.compile(
    r"sign up to free (?:daily )?email alerts from \S+(?: - daily)?(?: subscribe)?|thank you for subscribing"
    r"|see our privacy notice|invalid email|could not subscribe, try again later",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^(?:date|published|updated|posted|last updated|publié(?: le)?|mis à jour(?: le)?|veröffentlicht(?: am)?"
    r"|aktualisiert(?: am)?|stand|publicado(?: el| em)?|actualizado|atualizado(?: em)?|pubblicato(?: il)?|aggiornato)"
    r"\s*[:：]?\s*(?=[^\n]*\d)[\w ,./:+\-]{4,40}$",
    re.IGNORECASE,
)

# Words after which a sentence can't end, so a capitalised word after them doesn't start a new sentence.
_FUNCTION_WORDS = _words(
    """the a an of to in on at for with and or but from by as is are was were be has have had that this its their his
    her our your into over under about after before between than then not no le la les un une des de du et ou à au aux
    en pour par sur avec dans que qui son sa ses est sont der die das den dem des ein eine einen einem und oder zu im
    am an auf für mit von vom bei aus nach ist sind hat haben el los las unos unas del y o al por para con su sus es
    son ha os as um uma do da dos das em no na nos nas seu sua são il lo gli di della che è"""
)
# Capitalised words that often start a sentence, even when the next word is capitalised too ("The Kremlin ...").
_STARTERS = _words(
    """The A An In On At But This That These It He She They We According Le La Les Un Une Des Dans Selon Il Elle Ils
    Der Die Das Ein Eine Im Am Nach El Los Las Según En Os As Segundo Na No Gli Lo Secondo"""
)
# In German every noun is capitalised, so there only these words are taken to start a sentence.
_STARTERS_DE = _words(
    """Der Die Das Den Dem Ein Eine Es Er Sie Wir Ich Man Nur Doch Auch Im Am Bei Nach Laut Mit Seit Wie Was Wer Als
    Wenn Dass Denn Aber Und Auf In An Zu Um Für Von Vor Über Unter So Da Dann Jetzt Heute Gestern Zum Zur Diese Dieser
    Dieses"""
)
_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…][\"”’»)]?(?=\s+[\"“«„‘]?[A-ZÀ-Ý])")
_CAPITAL = re.compile(r"^[\"“«„‘]?[A-ZÀ-Ý]")


# --- prefilters: whole-text scans that let the texts (and lines) no rule can touch skip the rules -----------


def _at_line_start(pattern: re.Pattern[str]) -> str:
    """A rule matched on a stripped line, as a pattern that scans the whole text in MULTILINE mode: its `^`
    dropped, its `$` allowing the trailing white space that stripping removed."""
    body = pattern.pattern
    assert body.startswith("^") and "\\$" not in body, body
    return body[1:].replace("$", r"(?=[^\S\n]*$)")


# Every line start (after white space and bullets) where a whole-line rule, the header rule or a related-link
# marker could match; a line not found here is only looked at by the in-line rules. It scans the text
# `_lowered`, without re.IGNORECASE (3x faster: branches that start with another letter are skipped at once).
_LINE_RULES = (
    _HEADER, _RELATED_LINE, _RECOMMENDED, _AD_LINE, _COMMENT_HEAD, _COMMENT_PREFIX, _COMMENT_FIELD, _AUTHOR_HEAD,
    _SHARE_HEAD, _FOLLOW, _SUBSCRIBE, _COOKIE, _COPYRIGHT_LINE,
)  # fmt: skip
_LINE_GATE_SOURCE = "|".join(f"(?:{_at_line_start(p)})" for p in _LINE_RULES).replace("[A-ZÀ-Ý]", r"[^\W\d_]")
assert not re.search(r"(?<!\\)[A-ZÀ-Ý]", _LINE_GATE_SOURCE), "the line rules hold upper-case letters"
_LINE_GATE = re.compile(rf"^(?:[^\S\n]|[{_BULLET_CHARS}])*(?:{_LINE_GATE_SOURCE})", re.MULTILINE)
# What the `_lowered` text holds wherever an in-line rule can fire, by the rule: a related-link word, an ad
# label, a word of a subscription widget, "share this", a copyright sign. One Aho-Corasick pass finds them all.
_INLINE_KINDS = {
    "related": list(_RELATED_WORDS),
    "ad": [re.sub(r"s\?$", "", label).lower() for label in _ADS_CAPITALISED.split("|")],
    "widget": ["subscri", "email", "privacy notice"],
    "share": ["share this"],
    "credit": ["©"],
}
_INLINE_NEEDLES = AhoCorasick([word for words in _INLINE_KINDS.values() for word in words])
_INLINE_KIND = [kind for kind, words in _INLINE_KINDS.items() for _ in words]


# An ad label exactly as the in-line ad rule writes it (capitalised), to tell an ad from "die Anzeige gegen".
_AD_LABEL = re.compile(_ADS_CAPITALISED)
# How far before a word found by _INLINE_NEEDLES a match of its rule can start (the longest marker holding
# it), and how far after it the rule is looked for (a cut makes the rule's ends match more, never less; it
# is moved past white space, which `\s*` in a rule can run over).
_BEFORE, _AFTER = 40, 300
_SPACES = re.compile(r"\s*")


def _may_fire(kind: str, text: str, start: int, end: int, at: int) -> bool:
    """Whether the in-line rule of `kind` can match around the word _INLINE_NEEDLES found at `at` in the line
    text[start:end]: one search in a window instead of over the whole line (few words found are boilerplate:
    "die Anzeige", "by email", "related to")."""
    if kind == "ad":
        return _AD_LABEL.match(text, at) is not None
    spaces = _SPACES.match(text, min(end, at + _AFTER))  # always matches (maybe nothing)
    window = max(start, at - _BEFORE), min(end, (spaces.end() if spaces else end) + 1)
    if kind == "related":
        return _RELATED_INLINE.search(text, *window) is not None
    if kind == "widget":
        return _WIDGET.search(text, *window) is not None
    if kind == "share":
        return _SHARE_TAIL.search(text, *window) is not None
    return True  # a credit: rare enough to look for over the line


def _lowered(text: str) -> str:
    """The text lower-cased, the same length, so that a pattern of lower-case letters matches it wherever the
    pattern with re.IGNORECASE matches the text (re also takes "ı" for "i" and "ſ" for "s"; "İ".lower() is two
    characters)."""
    if not text.isascii():
        for char, letter in (("İ", "i"), ("ı", "i"), ("ſ", "s")):
            if char in text:
                text = text.replace(char, letter)
    return text.lower()


@dataclass(slots=True)
class _Span:
    """A range of the text being cleaned, and the rule that removes it."""

    start: int
    end: int
    rule: str


def clean(article: Article) -> Article:
    """Remove boilerplate from `article.text`; set raw_text, text and removed, and return the article.

    Cleaning is computed from `raw_text` when it is already set, so cleaning twice changes nothing.
    """
    raw = article.raw_text if article.raw_text is not None else article.text
    text, removed = _cleaned(raw, article.title, article.language)
    return _set(article, raw, raw if text is None else text, removed)


def _cleaned(raw: str, title: str, language: str | None) -> tuple[str | None, list[Removal]]:
    """The text without its boilerplate (None when that is `raw` itself) and the removals."""
    text, removed = raw, []
    # A removal can leave a new line start ("Publicidad ALSO READ"), so rules run again until nothing changes.
    for _ in range(config.CLEAN_MAX_PASSES):
        cleaned, more = _apply(text, _find(text, title, language))
        removed += more
        done = not more or cleaned == text  # without removals only blank lines changed: no new matches
        text = cleaned
        if done:
            break
    return (None if text == raw else text), removed


def _set(article: Article, raw: str, text: str, removed: list[Removal]) -> Article:
    article.raw_text = raw
    article.text, article.removed = text, removed
    if removed:
        log.debug("%s: removed %d pieces", article.id, len(removed))
    return article


def clean_all(articles: Iterable[Article], *, workers: int = 0, chunk: int = 256) -> Iterator[Article]:
    """`clean` over a stream, in order; with `workers`, in that many processes, `chunk` articles at a time and
    at most two chunks a worker in flight (memory stays bounded whatever the stream's length). Only what the
    rules read goes to a worker (text, title, language) and only what changed comes back."""
    if workers < 1:
        return map(clean, articles)
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    pool = ProcessPoolExecutor(workers, mp_context=context)  # started now, before the caller starts threads
    return _cleaned_by(pool, articles, workers, chunk)


def _cleaned_by(
    pool: ProcessPoolExecutor, articles: Iterable[Article], workers: int, chunk: int
) -> Iterator[Article]:
    stream = iter(articles)
    pending: deque[tuple[list[Article], list[str], Future[list[tuple[str | None, list[Removal]]]]]] = deque()

    def done() -> Iterator[Article]:
        batch, raws, future = pending.popleft()
        for article, raw, (text, removed) in zip(batch, raws, future.result()):
            yield _set(article, raw, raw if text is None else text, removed)

    with pool:
        while batch := list(islice(stream, chunk)):
            raws = [a.raw_text if a.raw_text is not None else a.text for a in batch]
            work = [(raw, a.title, a.language) for raw, a in zip(raws, batch)]
            pending.append((batch, raws, pool.submit(_clean_batch, work)))
            if len(pending) >= 2 * workers:
                yield from done()
        while pending:
            yield from done()


def _clean_batch(work: list[tuple[str, str, str | None]]) -> list[tuple[str | None, list[Removal]]]:
    return [_cleaned(raw, title, language) for raw, title, language in work]


def _find(text: str, title: str, language: str | None) -> list[_Span]:
    """The spans of `text` that the rules remove, line by line, then bios and repeats. Only the lines that
    `_LINE_GATE` finds are tried by the whole-line rules, and only the in-line rules whose words
    `_INLINE_NEEDLES` finds in a line are tried there."""
    lines = _lines(text)
    low = _lowered(text)
    gated = {start for start, end in lines if end > start and _LINE_GATE.match(low, start)}
    kinds_at: dict[int, set[str]] = {}  # line start -> what in-line rules may fire there
    hits = _INLINE_NEEDLES.find_matches_as_indexes(low, overlapping=True)
    if hits:
        starts = [a for a, _ in lines]
        for needle, at, _ in hits:
            start, end = lines[bisect.bisect_right(starts, at) - 1]
            kind = _INLINE_KIND[needle]
            if _may_fire(kind, text, start, end, at):
                kinds_at.setdefault(start, set()).add(kind)
    spans: list[_Span] = []
    title_words = normalize(title).split() if title else []
    leading = True
    comment_seen = False
    author_lines: list[int] = []
    for index, (start, end) in enumerate(lines):
        if start not in kinds_at and start not in gated and not (leading and title_words):
            leading = leading and not text[start:end].strip()
            continue
        content = text[start:end]
        stripped = content.strip()
        if not stripped:
            continue
        lead, tail = _trim(text, start, end)
        if leading and title_words and _has_words(stripped, title_words):
            spans.append(_Span(lead, tail, "repeated_title"))
            continue
        if start in gated and _HEADER.match(stripped):
            spans.append(_Span(lead, tail, "header"))
            continue
        leading = False
        rule = _line_rule(_BULLET.sub("", stripped), len(stripped), comment_seen) if start in gated else None
        if rule == "comment_form":
            comment_seen = True
        if rule == "author_bio":
            author_lines.append(index)
        if rule:
            spans.append(_Span(lead, tail, rule))
            continue
        if start in kinds_at or start in gated:
            spans.extend(_inline(text, lead, tail, language, kinds_at.get(start, set())))
    spans.extend(_bios(text, lines, author_lines, spans))
    if sum(end > start for start, end in lines) > 1:  # a repeat needs 2 lines
        spans.extend(_repeats(text, lines, spans))
    return spans


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, its line break and the carriage returns before it left out."""
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, at + len(line.rstrip("\r"))))
        at += len(line) + 1
    if not text or text.endswith("\n"):
        out.pop()  # nothing after the last line break
    return out


def _has_words(text: str, words: list[str]) -> bool:
    """Whether `normalize(text)` is these words. Reads a start of the text cut before a space (where
    normalisation can't join two characters), long enough to tell, else the whole text."""
    cut = text.find(" ", 2 * sum(map(len, words)) + 64)
    for part in (text[:cut], text) if cut > 0 else (text,):
        found = WORD.finditer(unicodedata.normalize("NFKC", part).casefold())
        for word in words:
            match = next(found, None)
            if match is None:
                break  # the start read is too short to tell: read the whole text
            if match.group() != word:
                return False
        else:
            if next(found, None) is not None:
                return False
            if part is text:
                return True
    return False


def _line_rule(core: str, length: int, comment_seen: bool) -> str | None:
    """The rule that removes this whole line, if any."""
    if not core:
        return None
    if length <= config.CLEAN_MAX_LINK_LINE and _RELATED_LINE.match(core):
        return "related_link"
    if _RECOMMENDED.match(core):
        return "recommended"
    if _AD_LINE.match(core):
        return "advertisement"
    if _COMMENT_HEAD.match(core) or (length <= config.CLEAN_MAX_LINE and _COMMENT_PREFIX.match(core)):
        return "comment_form"
    if comment_seen and _COMMENT_FIELD.match(core):
        return "comment_form"
    if _AUTHOR_HEAD.match(core):
        return "author_bio"
    if length <= config.CLEAN_MAX_SHORT_LINE:
        head = _SHARE_HEAD.match(core)
        if head and all(word in _SOCIAL for word in re.findall(r"\w+", core[head.end() :].lower())):
            return "share"
    if length <= config.CLEAN_MAX_LINE and (_FOLLOW.match(core) or _SUBSCRIBE.match(core)):
        return "share"
    if length <= config.CLEAN_MAX_LINE * 2 and _COOKIE.match(core):
        return "cookie"
    if length <= config.CLEAN_MAX_LINE and _COPYRIGHT_LINE.match(core):
        return "copyright"
    return None


def _inline(text: str, start: int, end: int, language: str | None, kinds: set[str]) -> list[_Span]:
    """Boilerplate inside a line that is otherwise kept: glued related links, ad labels, trailing credits.
    Only the rules of `kinds` (what `_INLINE_NEEDLES` found in the line) can find something past its start."""
    line = text[start:end]
    found: list[_Span] = []
    core_at = len(line) - len(_BULLET.sub("", line))
    at_start = _RELATED_AT_START.match(line[core_at:])
    markers = [(core_at, core_at + at_start.end())] if at_start else []
    if "related" in kinds:
        markers += [
            m.span() for m in _RELATED_INLINE.finditer(line) if not markers or m.start() >= markers[0][1]
        ]
    for marker_start, marker_end in markers:
        title_at = marker_end + len(line[marker_end:]) - len(line[marker_end:].lstrip(_MARKER_CHARS))
        title_end = _link_title_end(line, title_at, language)
        if title_end is None:
            continue
        if title_end == title_at:
            title_end = len(line[:title_at].rstrip())
        found.append(_Span(start + marker_start, start + title_end, "related_link"))
    if "ad" in kinds:
        found.extend(_Span(start + ad.start(), start + ad.end(), "advertisement") for ad in _AD_INLINE.finditer(line))
    if "widget" in kinds:
        found.extend(_Span(start + w.start(), start + w.end(), "share") for w in _WIDGET.finditer(line))
    share = _SHARE_TAIL.search(line) if "share" in kinds else None
    if share:
        found.append(_Span(start + share.start(), end, "share"))
    credit = _COPYRIGHT_TAIL.search(line) if "credit" in kinds else None
    if (
        credit
        and len(credit.group()) <= config.CLEAN_MAX_LINE
        and (len(credit.group()) <= config.CLEAN_MAX_CREDIT or _RIGHTS.search(credit.group()))
    ):
        found.append(_Span(start + credit.start(), end, "copyright"))
    return found


def _link_title_end(line: str, at: int, language: str | None) -> int | None:
    """Where a related-link title that starts at `at` ends: the line end when it is short, else the first
    sentence end or the first capitalised word that starts a sentence right after a word with no punctuation.
    None when no end is found within `CLEAN_MAX_LINK_TITLE` characters (the title is then kept)."""
    rest = line[at:]
    if rest[:1] in "”’»)" or rest[:1].islower():
        return at  # the marker sits inside a sentence of the story: only the marker goes
    if len(rest.rstrip()) <= config.CLEAN_MAX_LINK_TITLE:
        return len(line.rstrip())
    window = rest[: config.CLEAN_MAX_LINK_TITLE]
    tokens = [t.group() for t in _TOKEN.finditer(window)]
    spans = [t.span() for t in _TOKEN.finditer(window)]
    stop = _SENTENCE_END.search(window)
    for i in range(config.CLEAN_MIN_LINK_WORDS, len(tokens) - 1):
        if stop and spans[i][0] > stop.end():
            break
        prev, word = tokens[i - 1], tokens[i]
        if not prev[-1].isalnum() or prev.lower() in _FUNCTION_WORDS or not _CAPITAL.match(word):
            continue
        bare = word.lstrip('"“«„‘')
        if language == "de":
            if bare in _STARTERS_DE:
                return at + spans[i - 1][1]
            continue
        if bare in _STARTERS:
            return at + spans[i - 1][1]
        # A sentence starts with a run of 1-3 capitalised words (a name) and goes on with a lower-case word.
        for j in range(i, min(i + 3, len(tokens) - 1)):
            if not tokens[j][-1].isalnum() or not _CAPITAL.match(tokens[j]):
                break
            if tokens[j + 1][0].islower():
                return at + spans[i - 1][1]
    return at + stop.end() if stop else None


def _bios(text: str, lines: list[tuple[int, int]], heads: list[int], spans: list[_Span]) -> list[_Span]:
    """The bio paragraph after an "About the Author" line: short, and quoted or followed only by boilerplate."""
    found: list[_Span] = []
    for head in heads:
        block = [_trim(text, a, b) for a, b in lines[head + 1 :] if text[a:b].strip()]
        if not block:
            continue
        start, end = block[0]
        bio = text[start:end]
        later = block[1:]
        only_boilerplate = all(any(s.start <= a and b <= s.end for s in spans) for a, b in later)
        if len(bio) <= config.CLEAN_MAX_BIO and (bio[0] in "\"“«„'‘" or only_boilerplate):
            found.append(_Span(start, end, "author_bio"))
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The range without its surrounding whitespace."""
    piece = text[start:end]
    lead = start + len(piece) - len(piece.lstrip())
    return lead, lead + len(piece.strip())


def _repeats(text: str, lines: list[tuple[int, int]], spans: list[_Span]) -> list[_Span]:
    """Lines repeated verbatim (the later copy goes) or contained in a longer line (the shorter one goes)."""
    touching = _spans_by_line(lines, spans)
    pieces = [
        _kept(text, start, end, touching[i]) if i in touching else text[start:end] for i, (start, end) in enumerate(lines)
    ]
    # `normalize` of every line in one call: no character's NFKC form or case fold holds a line break, and NFKC
    # composes nothing across one, so the folded text splits back into the lines' own forms
    folded = unicodedata.normalize("NFKC", "\n".join(pieces)).casefold().split("\n")
    keys = [(i, key) for i, key in enumerate(" ".join(WORD.findall(f)) for f in folded) if key]
    # All keys in one string, longest first, each padded with spaces and on its own line (a key has no line
    # break, so a match never spans two): a key is in a longer one when found before the first key of its length.
    by_length = sorted({key for _, key in keys}, key=len, reverse=True)
    longer = "\n".join(f" {key} " for key in by_length)
    first_of_length: dict[int, int] = {}
    at = 0
    for key in by_length:
        first_of_length.setdefault(len(key), at)
        at += len(key) + 3
    found: list[_Span] = []
    seen: set[str] = set()
    for i, key in keys:
        if key.count(" ") + 1 < config.CLEAN_MIN_REPEAT_WORDS:
            continue
        if key in seen or longer.find(f" {key} ", 0, first_of_length[len(key)]) >= 0:
            found.append(_Span(*_trim(text, *lines[i]), "repeated_paragraph"))
        seen.add(key)
    return found


def _spans_by_line(lines: list[tuple[int, int]], spans: list[_Span]) -> dict[int, list[_Span]]:
    """The spans that may overlap each line (by line index; lines no span reaches are left out)."""
    starts = [start for start, _ in lines]
    out: dict[int, list[_Span]] = {}
    for span in spans:
        for i in range(max(bisect.bisect_right(starts, span.start) - 1, 0), bisect.bisect_left(starts, span.end)):
            out.setdefault(i, []).append(span)
    return out


def _kept(text: str, start: int, end: int, spans: list[_Span]) -> str:
    """The part of text[start:end] outside the spans."""
    pieces, at = [], start
    for span in sorted(s for s in ((max(s.start, start), min(s.end, end)) for s in spans) if s[0] < s[1]):
        if span[0] > at:
            pieces.append(text[at : span[0]])
        at = max(at, span[1])
    pieces.append(text[at:end])
    return " ".join(pieces)


def _apply(raw: str, spans: list[_Span]) -> tuple[str, list[Removal]]:
    """The text without the spans (overlapping spans merged; the wider one names the rule), and the removals."""
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            merged[-1].end = max(merged[-1].end, span.end)
            continue
        merged.append(_Span(span.start, span.end, span.rule))
    removed: list[Removal] = []
    out, at = [], 0
    for span in merged:
        piece = raw[span.start : span.end].strip()
        if not piece:
            continue
        left = raw[at : span.start]
        out.append(left.rstrip(" \t") + (" " if left.strip(" \t") and not left.endswith("\n") else ""))
        removed.append(Removal(piece, span.rule))
        at = span.end
        while at < len(raw) and raw[at] in " \t":
            at += 1
    out.append(raw[at:])
    text = "".join(out)
    if "\n" in text and (" \n" in text or "\t\n" in text or "\n\n\n" in text):  # else nothing to substitute
        text = re.sub(r"[ \t]+\n", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", re.sub(r"\n[ \t]+\n", "\n\n", text))
    return text.strip(), removed
