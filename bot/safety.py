"""Safety cues that do not need a trained model: a child mentioned, help keywords.

The trained danger and indicator detection lives in ``bot/nlu/indicators.py``; this module holds
the small deterministic checks both the NLU and the actions rely on.
"""

from __future__ import annotations

import re

from bot.text import fold

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


def mentions_child(text: str) -> bool:
    """True when the message mentions a child or says the writer is under 18."""
    return bool(_CHILD.search(fold(text)))


def is_help_keyword(text: str) -> bool:
    """True when the whole message is a help keyword such as HELP or AYUDA (in any language of
    ``bot/nlu/keywords/``)."""
    from bot.nlu.keywords import keywords, normalise

    return bool(_HELP_KEYWORD.match(fold(text).strip())) or keywords().intents.get(normalise(text)) == "talk_to_human"
