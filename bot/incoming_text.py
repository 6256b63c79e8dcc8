"""A person's message made ready for the bot and the counselor, the same way on every channel.

Control characters go (they have no place in a chat and can hide text from a counselor), a leading
"/" goes (Rasa would read "/intent" as a command), the text is put in Unicode's composed form
(NFC: "é" typed as e + accent and "é" are the same word), and Burmese typed in the Zawgyi font
encoding, which many phones in Myanmar still use, is converted to Unicode: otherwise the bot
reads it as gibberish and a counselor sees broken letters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MYANMAR = re.compile(r"[\u1000-\u109F]")
# Zawgyi is converted only when Google's detector is this sure (it is near 0 or 1 for sentences).
ZAWGYI_PROBABILITY = 0.95


@lru_cache(maxsize=1)
def _zawgyi_detector() -> Any:
    from myanmartools import ZawgyiDetector

    return ZawgyiDetector()


def from_zawgyi(text: str) -> str:
    """``text`` in Unicode Burmese when it was typed in the Zawgyi encoding; else unchanged."""
    if not _MYANMAR.search(text) or _zawgyi_detector().get_zawgyi_probability(text) < ZAWGYI_PROBABILITY:
        return text
    from myanmar.converter import convert

    return str(convert(text, "zawgyi", "unicode"))


def clean_incoming(text: str) -> str:
    """A received message as the bot and the console should see it."""
    text = CONTROL_CHARS.sub("", text).strip().lstrip("/").strip()
    return from_zawgyi(unicodedata.normalize("NFC", text))
