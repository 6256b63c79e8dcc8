"""Machine translations the line refuses: degenerate output, and numbers or addresses lost.

Published models have known failures: one piece repeated for any input ("mainstremainstre...",
argos-translate #522), a word tripled (#428), repetition on single words (#367). A translation that
drops or changes a phone number is worse than none: an emergency number must arrive exactly as
the knowledge base has it. So a translation is used only when it is not degenerate and keeps
every digit group and web address of its source.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import List

from bot.text import fold

_DIGITS = re.compile(r"\d+")
_ADDRESS = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:org|com|net|gov|int|info|[a-z]{2})\b(?:/[^\s]*)?", re.IGNORECASE)
# A run of 2 to 12 characters written four times or more in a row ("mainstremainstre...", "kokokoko").
_STUTTER = re.compile(r"(.{2,12}?)\1{3,}", re.DOTALL)
# The same word three times or more in a row ("ko ko ko").
_REPEATED_WORD = re.compile(r"\b(\w+)(?:\W+\1\b){2,}", re.UNICODE)
# Output this many times longer than the input (plus some room) has run away.
MAX_LENGTH_RATIO = 4
LENGTH_ROOM = 24


def digit_groups(text: str) -> List[str]:
    """The digit groups of ``text`` in order ("1-888-373-7888" -> 1, 888, 373, 7888)."""
    return _DIGITS.findall(text)


def addresses(text: str) -> List[str]:
    return sorted(match.lower() for match in _ADDRESS.findall(text))


def keeps_numbers(source: str, translation: str) -> bool:
    """Every digit group and web address of ``source`` is in ``translation`` (extra ones are not)."""
    wanted, found = Counter(digit_groups(source)), Counter(digit_groups(translation))
    if any(found[group] < count for group, count in wanted.items()):
        return False
    have = set(addresses(translation))
    return all(address in have for address in addresses(source))


def _repetition(text: str) -> bool:
    return bool(_STUTTER.search(text) or _REPEATED_WORD.search(text))


def degenerate(source: str, translation: str) -> bool:
    """``translation`` repeats itself where ``source`` does not, is empty, or has run away in length.

    A person's own "hahahaha" or "help help help" may come out repeated: only repetition the
    source does not have counts.
    """
    output = fold(translation).strip()
    if not output:
        return bool(fold(source).strip())
    if len(output) > MAX_LENGTH_RATIO * len(source) + LENGTH_ROOM:
        return True
    return _repetition(output) and not _repetition(fold(source))
