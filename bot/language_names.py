"""Which language a message asks for, by the names people use for languages in any language.

The names are data (``bot/language_names.yml``). A name in a script written without spaces
(Chinese, Thai, Burmese, Khmer) is found anywhere in the message; any other name only as whole
words, so "inglesa" is not "ingles" and "thailand" is not "thai".
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Pattern, Tuple

import yaml

from bot.errors import ConfigError
from bot.text import fold, word_pattern

NAMES_FILE = Path(__file__).resolve().parent / "language_names.yml"


def load_names(path: Path = NAMES_FILE) -> Dict[str, str]:
    """Folded name -> language code; a name listed for two languages is refused."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    names: Dict[str, str] = {}
    for code, listed in data.items():
        for name in listed or ():
            folded = " ".join(fold(str(name)).split())
            if names.get(folded, code) != code:
                raise ConfigError(f"language name '{folded}' is listed for both '{names[folded]}' and '{code}'")
            names[folded] = str(code)
    return names


@lru_cache(maxsize=1)
def _patterns() -> Tuple[Dict[str, str], List[Tuple[Pattern[str], str]]]:
    names = load_names()
    patterns = [
        (re.compile(word_pattern(name)), code)
        for name, code in sorted(names.items(), key=lambda item: len(item[0]), reverse=True)
    ]
    return names, patterns


def requested_language(text: str) -> Optional[str]:
    """The language a message names (``"en español por favor"`` -> ``"es"``), the longest name
    first ("bahasa indonesia" before "bahasa"), if any."""
    folded = " ".join(fold(text).split())
    for pattern, code in _patterns()[1]:
        if pattern.search(folded):
            return code
    return None


def is_only_a_language_name(text: str) -> bool:
    """True when the whole message is one language's name ("Français", "русский", "中文")."""
    from bot.nlu.keywords import normalise

    return normalise(text) in _patterns()[0]
