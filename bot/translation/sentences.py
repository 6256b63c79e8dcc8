"""Sentence split for translation, without a model (argostranslate's MiniSBD downloads one).

Messages here are SMS-length: a split after sentence-ending punctuation of the scripts the line
meets (Latin, Arabic ``؟``, Devanagari ``।``, Burmese ``။``, Khmer ``។``, Chinese ``。！？``) is
enough. A "sentence" longer than a model can read in one go is cut at a comma or a space.
"""

from __future__ import annotations

import re
from typing import List

# What ends a sentence: Latin and Arabic punctuation before a space (or the end); the full stops of
# scripts written without spaces anywhere.
_END = re.compile(r"(?<=[.!?;؟…])\s+|(?<=[。！？；।॥။၊។៕])\s*|\n+")
MAX_SENTENCE_CHARS = 300


def _cut(sentence: str) -> List[str]:
    """A sentence longer than ``MAX_SENTENCE_CHARS``, cut at the last comma or space before it."""
    parts: List[str] = []
    while len(sentence) > MAX_SENTENCE_CHARS:
        window = sentence[:MAX_SENTENCE_CHARS]
        at = max(window.rfind(", "), window.rfind("، "), window.rfind("，"))
        at = at + 1 if at > 0 else window.rfind(" ")
        at = at if at > 0 else MAX_SENTENCE_CHARS
        parts.append(sentence[:at].strip())
        sentence = sentence[at:].strip()
    return parts + ([sentence] if sentence else [])


def split_sentences(text: str) -> List[str]:
    """The sentences of ``text`` in order, each stripped; none empty."""
    sentences: List[str] = []
    for part in _END.split(text):
        if part and part.strip():
            sentences.extend(_cut(part.strip()))
    return sentences


class SentenceSplitter:
    """What argostranslate's ``apply_packaged_translation`` expects of a sentence splitter."""

    def split_sentences(self, text: str) -> List[str]:
        return split_sentences(text)
