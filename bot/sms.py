"""SMS segment arithmetic: which encoding a text needs and how many segments it costs.

GSM-7 (the 3GPP TS 23.038 default alphabet plus its extension table) fits 160 characters in one
message and 153 per part when concatenated; extension characters cost two septets. Anything
outside it forces UCS-2: 70 characters alone, 67 per part (counted in UTF-16 code units).
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

MAX_SEGMENTS_PER_REPLY = 2


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
