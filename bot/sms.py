"""SMS segment arithmetic: which encoding a text needs and how many segments it costs.

GSM-7 (the 3GPP TS 23.038 default alphabet plus its extension table) fits 160 characters in one
message and 153 per part when concatenated; extension characters cost two septets. Anything
outside it forces UCS-2: 70 characters alone, 67 per part (counted in UTF-16 code units).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from bot.text import character_pieces

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

MAX_SEGMENTS_PER_REPLY = 2
# What one turn (everything the bot says after one message, first-contact notice included) may
# cost, unless the person asked for more (MORE). A turn in a script outside GSM-7 (Arabic,
# Cyrillic, Thai, Devanagari, Burmese, Khmer, Chinese ...) fits 67 characters a segment instead of
# 153, so the same content costs more than twice the segments: its budget is 5 (335 characters,
# still less text than 3 GSM-7 segments' 459). Each single reply keeps the 2-segment limit.
MAX_SEGMENTS_PER_TURN = 3
MAX_SEGMENTS_PER_UCS2_TURN = 5


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` exists in the GSM-7 alphabet."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def segment_count(text: str) -> int:
    """Number of SMS segments ``text`` costs when sent as one message."""
    if not text:
        return 1
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def fits_reply_limit(text: str, max_segments: int = MAX_SEGMENTS_PER_REPLY) -> bool:
    """True when ``text`` fits the per-reply budget (two segments unless the person asked for more)."""
    return segment_count(text) <= max_segments


SINGLE_LIMIT = {True: 160, False: 70}
PART_LIMIT = {True: 153, False: 67}
WHATSAPP_LIMIT = 1600


def _units(text: str) -> int:
    if is_gsm7(text):
        return sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def _fits_part(text: str) -> bool:
    return _units(text) <= PART_LIMIT[is_gsm7(text)]


def _pieces(text: str) -> list[str]:
    """Sentences, then words: the places a reply may be cut, in order of preference."""

    # A sentence ends at . ! ? followed by a capital (or ¿ ¡ or a quote): "art. 6" is not an end;
    # or at a full stop of a script without capitals: 。！？ (Chinese), । (Devanagari),
    # ။ (Burmese), ។ (Khmer), with or without a space after it.
    return [piece.strip() for piece in _SENTENCE_END.split(text.strip()) if piece.strip()]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÑÜ¿¡\"'])|(?<=[。！？।॥။។])\s*")


def _split_words(sentence: str) -> list[str]:
    parts: list[str] = []
    current = ""
    for word in sentence.split():
        candidate = f"{current} {word}" if current else word
        if _fits_part(candidate):
            current = candidate
            continue
        if current:
            parts.append(current)
        while not _fits_part(word):  # one "word" longer than a part (a long link): cut it
            cut = max(1, PART_LIMIT[is_gsm7(word)])
            while not _fits_part(word[:cut]):
                cut -= 1
            parts.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        parts.append(current)
    return parts


def _pack(pieces: list[str]) -> list[str]:
    """Greedy packing of ``pieces`` into parts that each fit one concatenated segment."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if _fits_part(candidate):
            current = candidate
            continue
        if current:
            parts.append(current)
        if _fits_part(piece):
            current = piece
        else:
            *whole, current = _split_words(piece)
            parts.extend(whole)
    if current:
        parts.append(current)
    return parts


def split_for_sms(text: str) -> list[str]:
    """A reply as SMS parts that each fit one concatenated segment, cut between sentences when
    that costs no extra SMS, between words otherwise, never inside a word (unless one word is
    longer than a whole part)."""
    text = " ".join(text.split())
    if not text or _units(text) <= SINGLE_LIMIT[is_gsm7(text)]:
        return [text] if text else []
    by_sentence = _pack(_pieces(text))
    by_word = _pack(text.split(" "))
    best = by_sentence if len(by_sentence) <= len(by_word) else by_word
    by_letter = _pack_letters(text)
    return by_letter if len(by_letter) < len(best) else best


def _pack_letters(text: str) -> list[str]:
    """Parts cut anywhere between letters (a letter with its vowel signs stays whole) inside
    phrases of scripts written without spaces (Thai, Burmese, Khmer, Chinese), at spaces
    elsewhere: used only when it saves an SMS, since it may cut a word in two."""
    parts: list[str] = []
    current = ""
    for index, phrase in enumerate(text.split(" ")):
        pieces = [phrase[start:end] for start, end in character_pieces(phrase)]
        for position, piece in enumerate(pieces):
            joiner = " " if position == 0 and index > 0 and current else ""
            candidate = current + joiner + piece
            if _fits_part(candidate):
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def split_for_whatsapp(text: str) -> list[str]:
    """WhatsApp takes up to 1600 characters a message; longer replies are cut between words."""
    words_ = text.split()
    parts: list[str] = []
    current = ""
    for word in words_:
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= WHATSAPP_LIMIT:
            current = candidate
        else:
            parts.append(current)
            current = word[:WHATSAPP_LIMIT]
    if current:
        parts.append(current)
    return parts


# Characters with a plain GSM-7 stand-in that accent removal does not find (đ is a letter of
# its own in Vietnamese, not d with a mark).
_PUNCTUATION = {
    "\u0111": "d", "\u0110": "D", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'",
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
}


def to_gsm7(text: str) -> str:
    """``text`` without the accents GSM-7 lacks ("información" -> "informacion"), when that is
    all that keeps it out of GSM-7: one UCS-2 character would cut every segment from 153 to 67
    characters. Text in another script (Arabic, Thai ...) is returned unchanged."""
    if is_gsm7(text):
        return text
    plain = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            plain.append(char)
            continue
        if char in _PUNCTUATION:
            plain.append(_PUNCTUATION[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        plain.append(base)
    converted = "".join(plain)
    return converted if is_gsm7(converted) else text


def turn_text(replies: Sequence[str]) -> str:
    """A turn's replies as one SMS text: joined, so short replies share segments."""
    return to_gsm7(" ".join(" ".join(reply.split()) for reply in replies if reply.strip()))


def max_turn_segments(replies: Sequence[str]) -> int:
    """The segment budget of a turn: 3 when it is sent in GSM-7, 5 when it needs UCS-2."""
    return MAX_SEGMENTS_PER_TURN if is_gsm7(turn_text(replies)) else MAX_SEGMENTS_PER_UCS2_TURN


def turn_segments(replies: Sequence[str]) -> int:
    """How many SMS the turn costs as the channel sends it."""
    return len(split_for_sms(turn_text(replies))) if any(r.strip() for r in replies) else 0
