"""Text normalisation shared by matchers: lowercase and strip accents without moving offsets."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _fold_char(char: str) -> str:
    return unicodedata.normalize("NFD", char)[0].lower()[:1]


def fold(text: str) -> str:
    """Lowercased, accent-free copy of ``text`` with the same length, so offsets still line up.

    ``fold("Me QUITARON el Pasaporte")`` is ``"me quitaron el pasaporte"``; ``ñ`` becomes ``n``.
    """
    return "".join(_fold_char(char) for char in text)


def words(text: str) -> list[str]:
    """The alphabetic words of ``text``, folded."""
    return _WORD.findall(fold(text))
