"""Text normalisation shared by matchers and features: folding, words, scripts without spaces."""

from __future__ import annotations

import re
import unicodedata

# Where combining marks are: planes 0-2 and the variation selectors of plane 14 (scanning only
# these keeps the import fast; tests/bot/test_sms_and_language.py checks no mark lies outside).
_MARK_PLANES = (range(0x30000), range(0xE0000, 0xE1000))


def _mark_class() -> str:
    """A regex character class body of every combining mark (Unicode Mn and Mc).

    Python's ``\\w`` leaves them out, which would cut "नहीं" into "नह" and split Thai, Burmese
    and Khmer words wherever a vowel sign sits; every word pattern here adds them back.
    """
    ranges: list[tuple[int, int]] = []
    for point in (point for plane in _MARK_PLANES for point in plane):
        if unicodedata.category(chr(point)) in ("Mn", "Mc"):
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


MARKS = _mark_class()
_WORD = re.compile(rf"(?:[^\W\d_]|[{MARKS}])+", re.UNICODE)


# Letters of their own that have no accent to remove but a plain letter people type instead.
_PLAIN_LETTER = {"đ": "d", "Đ": "d"}


def _fold_char(char: str) -> str:
    return _PLAIN_LETTER.get(char) or unicodedata.normalize("NFD", char)[0].lower()[:1]


def fold(text: str) -> str:
    """Lowercased, accent-free copy of ``text`` with the same length, so offsets still line up.

    ``fold("Me QUITARON el Pasaporte")`` is ``"me quitaron el pasaporte"``; ``ñ`` becomes ``n``.
    """
    return "".join(_fold_char(char) for char in text)


def words(text: str) -> list[str]:
    """The alphabetic words of ``text``, folded."""
    return _WORD.findall(fold(text))


# Unicode ranges of scripts written without spaces between words.
UNSPACED_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xAA60, 0xAA7F),  # Myanmar extended-A
)
_MARK_CATEGORIES = ("Mn", "Mc")
_TOKEN = re.compile(rf"[\w{MARKS}]+", re.UNICODE)


def is_unspaced(char: str) -> bool:
    """True for a character of a script that does not separate words with spaces."""
    point = ord(char)
    return any(start <= point <= end for start, end in UNSPACED_RANGES)


def character_pieces(text: str) -> list[tuple[int, int]]:
    """Offsets of ``text`` cut into single characters (with their combining marks) where its
    script has no spaces, and into whole runs elsewhere."""
    pieces: list[tuple[int, int]] = []
    run_start = None
    index = 0
    while index < len(text):
        if is_unspaced(text[index]):
            if run_start is not None:
                pieces.append((run_start, index))
                run_start = None
            end = index + 1
            while end < len(text) and unicodedata.category(text[end]) in _MARK_CATEGORIES:
                end += 1
            pieces.append((index, end))
            index = end
            continue
        if run_start is None:
            run_start = index
        index += 1
    if run_start is not None:
        pieces.append((run_start, len(text)))
    return pieces


def word_pattern(word: str, whole: bool = True) -> str:
    """A regex finding ``word`` (already folded) in folded text: anywhere when it is written in a
    script without spaces ("迪拜" in "我在迪拜"); elsewhere only as a whole word, or as the start of
    one when ``whole`` is False (a stem such as "deport")."""
    escaped = re.escape(word)
    if any(is_unspaced(char) for char in word):
        return escaped
    boundary = f"[\\w{MARKS}]"
    return f"(?<!{boundary}){escaped}" + (f"(?!{boundary})" if whole else "")


def word_tokens(text: str) -> list[str]:
    """Word tokens for features: runs of word characters, one character each in Thai, Lao,
    Burmese, Khmer and CJK (``"老板 ok"`` -> ``["老", "板", "ok"]``)."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        tokens.extend(word[start:end] for start, end in character_pieces(word))
    return tokens
