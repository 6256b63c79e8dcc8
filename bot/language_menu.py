"""The numbered language menu: each language the line writes in, by its own name.

"LANGUAGE", "idioma", "1", a flag... opens it; the header is in the conversation's language, the
entries in their own (a person who cannot read the current language still finds theirs). The
list is cut into replies that each fit the SMS budget. While it is open, a bare number picks.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from bot.catalog import Catalogs
from bot.sms import MAX_SEGMENTS_PER_REPLY, segment_count, to_gsm7

MENU_SLOT = "language_menu"
MENU_OPEN = "open"


def menu_entries(catalogs: Catalogs, languages: Sequence[str]) -> List[str]:
    """``"3 Français"`` for each language, numbered in the line's order."""
    return [f"{number} {catalogs.template(code, f'language_{code}') or code}" for number, code in enumerate(languages, 1)]


def menu_replies(header: str, entries: Sequence[str]) -> List[str]:
    """The header and the entries packed into as few replies as fit two SMS segments each."""
    replies: List[str] = []
    current = header
    for entry in entries:
        candidate = f"{current}\n{entry}"
        if segment_count(to_gsm7(candidate)) <= MAX_SEGMENTS_PER_REPLY:
            current = candidate
        else:
            replies.append(current)
            current = entry
    replies.append(current)
    return replies


def picked_language(text: str, languages: Sequence[str]) -> Optional[str]:
    """The language a bare number picks from the menu ("3", "٣", "३" ...), or None."""
    stripped = text.strip().rstrip(".)")
    if not stripped.isdecimal():
        return None
    number = int(stripped)
    return languages[number - 1] if 1 <= number <= len(languages) else None


def is_bare_number(text: str) -> bool:
    """A message that is only a number (any script's digits): an answer to the menu."""
    return text.strip().rstrip(".)").isdecimal()
