"""The words people type as a whole message, per language: keywords and short answers.

``bot/nlu/keywords/<lang>.yml`` lists, for one language, the words that are a command when they
are the whole message (HELP, AYUDA, RIGHTS, YES, LANGUAGE ...: the bot tells people to reply with
them, so the intent is certain) and the words that answer a yes/no screening question. Every
language's words are understood whatever language the conversation is in: a person may answer in
the language they think in. A word may not mean two different things in two languages (the
loader refuses it), so a command never depends on guessing the language of one word.

Besides the listed words, a message that is only the number 1, a flag or a globe opens the
language menu, and a message that is only a language's name asks for that language
(:mod:`bot.language_names`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

import yaml

from bot.errors import ConfigError
from bot.text import MARKS, fold

KEYWORDS_DIR = Path(__file__).resolve().parent / "keywords"
COMMAND_INTENTS = (
    "talk_to_human", "ask_rights", "affirm", "deny", "ask_indicators", "delete_data", "change_language",
)
ANSWER_LISTS = ("yes_words", "no_words", "skip_words", "skip_phrases", "end_words", "end_phrases")
_NOT_WORD = re.compile(rf"[^\w{MARKS} ]+", re.UNICODE)
# Regional-indicator pairs (flags) and the globe symbols people use for "language".
_FLAGS_ONLY = re.compile(r"^(?:[\U0001F1E6-\U0001F1FF]{2}|[\U0001F310\U0001F30D\U0001F30E\U0001F30F\U0001F5E3]|\uFE0F|\s)+$")


def normalise(text: str) -> str:
    """A message as keywords are compared: folded, punctuation gone, spaces single."""
    return " ".join(_NOT_WORD.sub(" ", fold(text)).split())


@dataclass(frozen=True)
class Keywords:
    """Every language's keywords merged: word -> intent, and the screening answer words."""

    intents: Mapping[str, str]
    yes_words: FrozenSet[str]
    no_words: FrozenSet[str]
    skip_words: FrozenSet[str]
    skip_phrases: Tuple[str, ...]
    end_words: FrozenSet[str]
    end_phrases: Tuple[str, ...]
    # Every command and answer word -> the languages whose files list it.
    languages: Mapping[str, FrozenSet[str]] = field(default_factory=dict)
    # Every answer word and phrase in one set (filled in from the lists above).
    answers: FrozenSet[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        words = self.yes_words | self.no_words | self.skip_words | self.end_words
        object.__setattr__(self, "answers", words | frozenset(self.skip_phrases) | frozenset(self.end_phrases))

    def command_intent(self, text: str) -> Optional[str]:
        """The intent of a message that is exactly one keyword (or a flag, or "1"), else None."""
        if _FLAGS_ONLY.match(text) and text.strip():
            return "change_language"
        normalised = normalise(text)
        if normalised == "1":
            return "change_language"
        return self.intents.get(normalised)

    def is_answer(self, text: str) -> bool:
        """True when the whole message is a word or phrase that answers a yes/no question
        ("стоп", "tidak tahu"): typed as told, it is no cry for help, whatever it resembles."""
        return normalise(text) in self.answers

    def languages_of(self, text: str) -> FrozenSet[str]:
        """The languages in whose keyword file the whole message is listed ("अधिकार": hi and ne)."""
        return self.languages.get(normalise(text), frozenset())


def _words(data: Mapping, key: str, where: str) -> Tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: '{key}' must be a list")
    return tuple(normalise(str(word)) for word in value if normalise(str(word)))


def load_keywords(directory: Path = KEYWORDS_DIR) -> Keywords:
    """Read every language's file and merge them; a word with two meanings is refused."""
    intents: Dict[str, str] = {}
    owners: Dict[str, str] = {}
    answers: Dict[str, Dict[str, str]] = {name: {} for name in ANSWER_LISTS}
    languages: Dict[str, set] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        unknown = set(data) - set(COMMAND_INTENTS) - set(ANSWER_LISTS)
        if unknown:
            raise ConfigError(f"{path.name}: unknown keys {sorted(unknown)}")
        for intent in COMMAND_INTENTS:
            for word in _words(data, intent, path.name):
                if intents.get(word, intent) != intent:
                    raise ConfigError(
                        f"'{word}' is '{intent}' in {path.name} but '{intents[word]}' in {owners[word]}"
                    )
                intents[word], owners[word] = intent, path.name
                languages.setdefault(word, set()).add(path.stem)
        for name in ANSWER_LISTS:
            for word in _words(data, name, path.name):
                answers[name].setdefault(word, path.name)
                languages.setdefault(word, set()).add(path.stem)
    contradictions = set(answers["yes_words"]) & set(answers["no_words"])
    if contradictions:
        raise ConfigError(f"words that answer both yes and no: {sorted(contradictions)}")
    return Keywords(
        intents=intents,
        yes_words=frozenset(answers["yes_words"]),
        no_words=frozenset(answers["no_words"]),
        skip_words=frozenset(answers["skip_words"]),
        skip_phrases=tuple(answers["skip_phrases"]),
        end_words=frozenset(answers["end_words"]),
        end_phrases=tuple(answers["end_phrases"]),
        languages={word: frozenset(codes) for word, codes in languages.items()},
    )


@lru_cache(maxsize=1)
def keywords() -> Keywords:
    """The project's keywords, read once per process."""
    return load_keywords()
