"""The bot's replies to a person who writes in a language the line has no catalog for.

With a model into their language the reply is the English catalog text, machine-translated and
marked "(machine translated)" in their language, within one reply's SMS budget. When the
translation fails, is refused (:mod:`bot.translation.quality`), or would not fit with its marker,
the English text goes instead: reviewed words the person may be able to read, with every number
intact. Catalog languages are never machine-translated: reviewed text wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from bot.translation.engine import MachineTranslator, Problem
from bot.translation.marking import marked_within_budget
from bot.translation.packages import reply_languages

logger = logging.getLogger(__name__)

ENGLISH = "en"


def reply_source_language(languages: Sequence[str], default_language: str) -> str:
    """The catalog replies are translated from: English when the line writes it."""
    return ENGLISH if ENGLISH in languages else default_language


def translated_replies_into(language: Optional[str], models_dir: Path, languages: Sequence[str], default_language: str) -> Optional[str]:
    """``language`` when the bot's replies can be machine-translated into it, else None."""
    if not language or language in languages:
        return None
    source = reply_source_language(languages, default_language)
    return language if language in reply_languages(models_dir, source) else None


@dataclass(frozen=True)
class Reply:
    text: str
    machine_translated: bool
    problem: Optional[Problem] = None


async def translated_reply(translator: MachineTranslator, text: str, source: str, target: str) -> Reply:
    """``text`` translated and marked, or ``text`` itself with the reason it went untranslated."""
    translation = await translator.translate(text, source, target)
    if translation.text is None:
        logger.info("Reply sent untranslated into %s: %s.", target, translation.problem.value if translation.problem else "?")
        return Reply(text, False, translation.problem)
    marked = marked_within_budget(translation.text, target)
    if marked is None:
        logger.info("Reply sent untranslated into %s: the translation with its marker is over 2 SMS.", target)
        return Reply(text, False, None)
    return Reply(marked, True)
