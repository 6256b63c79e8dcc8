"""Safety cues that do not need a trained model: a child mentioned, help keywords.

The trained danger and indicator detection lives in ``bot/nlu/indicators.py``; this module holds
the small deterministic checks both the NLU and the actions rely on. The words for a child and for
someone's age in every language other than English and Spanish are data: ``bot/child_words.yml``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Pattern

import yaml

from bot.text import fold, word_pattern

CHILD_WORDS_FILE = Path(__file__).resolve().parent / "child_words.yml"
# Ages that make someone a minor, as written before or after the language's word for "years".
_MINOR_AGE = r"(?:1[0-7]|[5-9])"

# A minor mentioned: raises queue priority (second only to danger).
_CHILD = re.compile(
    r"(?<!\w)("
    r"child|children|kid|kids|minor|minors|underage|under age|teen|teenager|little girl|little boy|"
    r"nino|nina|ninos|ninas|menor|menores|menor de edad|chamac[oa]s?|escuincl[ea]s?|"
    r"(1[0-7]|[5-9]) ?(years? old|yrs? old|yo|anos|años)|"
    r"(i am|im|i'm|tengo) (1[0-7]|[5-9])(?!\d)"
    r")(?!\w)"
)

# A message that is only a call for a person: "HELP", "ayuda!!", "help me please".
_HELP_KEYWORD = re.compile(r"^\W*(help|ayuda|socorro|auxilio)( (me|please|pls|plz|por favor|porfa|x favor))?\W*$")


def _bounded(word: str) -> str:
    return word_pattern(fold(word))


@lru_cache(maxsize=1)
def _child_patterns() -> tuple[Pattern[str], ...]:
    """One pattern per language of ``child_words.yml``: its words for a child, and an age under 18
    written with its word for "years" (after the number, or before it where the language says so)."""
    with open(CHILD_WORDS_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    patterns = []
    for entry in data.values():
        alternatives = [_bounded(str(word)) for word in entry.get("child_words") or ()]
        alternatives += [rf"(?<!\d){_MINOR_AGE} ?{_bounded(str(word))}" for word in entry.get("age_words") or ()]
        alternatives += [rf"{_bounded(str(word))} ?{_MINOR_AGE}(?!\d)" for word in entry.get("age_before_number") or ()]
        if alternatives:
            patterns.append(re.compile("|".join(alternatives)))
    return tuple(patterns)


def mentions_child(text: str) -> bool:
    """True when the message mentions a child or says the writer is under 18, in any language."""
    folded = "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in fold(text))  # "١٥" -> "15"
    return bool(_CHILD.search(folded)) or any(pattern.search(folded) for pattern in _child_patterns())


def is_help_keyword(text: str) -> bool:
    """True when the whole message is a help keyword such as HELP or AYUDA (in any language of
    ``bot/nlu/keywords/``)."""
    from bot.nlu.keywords import keywords, normalise

    return bool(_HELP_KEYWORD.match(fold(text).strip())) or keywords().intents.get(normalise(text)) == "talk_to_human"
