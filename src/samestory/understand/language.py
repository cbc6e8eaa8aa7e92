"""Language identification with CLD2 (pycld2): fast, offline, about 80 languages."""

from __future__ import annotations

import logging
import re
from itertools import islice

import pycld2

log = logging.getLogger(__name__)

# CLD2 rejects C0/C1 control characters and lone surrogates ("invalid UTF-8"): they carry no language anyway.
# Under this many letters CLD2 guesses ("ok" -> Dutch): the hint is returned instead.
_MIN_LETTERS = 12
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """The ISO 639-1 code of the main language of `text`, or None when CLD2 can't tell.

    `hint` (an ISO 639-1 code) is returned when the text is too short or too odd for CLD2 to be reliable.
    """
    clean = _UNSAFE.sub(" ", text)
    if next(islice((c for c in clean if c.isalpha()), _MIN_LETTERS - 1, None), None) is None:
        return hint  # fewer than _MIN_LETTERS letters (counted only up to there)
    try:
        reliable, _, details = pycld2.detect(clean, bestEffort=True)
    except pycld2.error as exc:  # still some byte sequence CLD2 dislikes: say so, and use the hint
        log.debug("pycld2 could not read the text: %s", exc)
        return hint
    code = details[0][1].split("-")[0]
    if code == "un" or len(code) != 2:
        return hint
    if not reliable and hint:
        return hint
    return code
