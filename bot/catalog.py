"""Response catalogs: every sentence the bot says, per language, in ``translations/<lang>.yml``.

A catalog maps a response name (``utter_welcome``) to a text with ``{placeholders}``. The
placeholders the bot fills are listed in :data:`PLACEHOLDERS`; a catalog must not use others.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Set

import yaml

from bot.errors import CatalogError

# Placeholder -> what it holds. Filled by bot.dialogue.nlg from the knowledge base and slots,
# or passed by the action that sends the response.
PLACEHOLDERS: Mapping[str, str] = {
    "emergency": "how to reach emergency services where the person is",
    "hotline": "the help line of the person's jurisdiction (or the international directory)",
    "place": "the name of the person's jurisdiction",
    "first": "a catalog entry passed as first_key (e.g. an indicator in plain words)",
    "second": "a catalog entry passed as second_key",
    "text": "a knowledge-base text (rights answer)",
    "source": "a knowledge-base citation",
    "reviewed": "a knowledge-base last_reviewed date",
    "languages": "the languages the help line writes in",
    "position": "place in the queue",
    "wait": "estimated wait in whole minutes (bot.handoff.queue)",
}


def placeholders_in(text: str) -> Set[str]:
    """The ``{names}`` used in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class Catalogs:
    """Every configured language's catalog, loaded and checked once."""

    def __init__(self, catalogs: Mapping[str, Mapping[str, str]], default_language: str) -> None:
        if default_language not in catalogs:
            raise CatalogError(f"no catalog for the default language '{default_language}'")
        self._catalogs = {lang: dict(entries) for lang, entries in catalogs.items()}
        self.default_language = default_language

    @classmethod
    def load(cls, directory: Path, languages: Iterable[str], default_language: str) -> "Catalogs":
        """Read ``<directory>/<lang>.yml`` for each language; unknown placeholders are an error."""
        catalogs: Dict[str, Dict[str, str]] = {}
        for language in languages:
            path = Path(directory) / f"{language}.yml"
            if not path.exists():
                raise CatalogError(f"missing response catalog {path}")
            with open(path, encoding="utf-8") as handle:
                entries = yaml.safe_load(handle) or {}
            if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
                raise CatalogError(f"{path}: every entry must be a text")
            for key, text in entries.items():
                unknown = placeholders_in(text) - set(PLACEHOLDERS)
                if unknown:
                    raise CatalogError(f"{path}: '{key}' uses unknown placeholders {sorted(unknown)}")
            catalogs[language] = {key: text.strip() for key, text in entries.items()}
        return cls(catalogs, default_language)

    @property
    def languages(self) -> Iterable[str]:
        return self._catalogs.keys()

    def keys(self, language: str) -> Set[str]:
        return set(self._catalogs.get(language, {}))

    def template(self, language: str, key: str) -> Optional[str]:
        """The raw text of ``key`` in ``language``, falling back to the default language."""
        entries = self._catalogs.get(language) or {}
        if key in entries:
            return entries[key]
        return self._catalogs[self.default_language].get(key)

    def render(self, language: str, key: str, values: Mapping[str, object]) -> Optional[str]:
        """``key`` in ``language`` with placeholders filled; None when no catalog has it.

        A value passed as ``<name>_key`` names another catalog entry: it is rendered in the same
        language and fills ``{<name>}`` (how the plain-words indicator phrases get in).
        """
        template = self.template(language, key)
        if template is None:
            return None
        filled = {k: "" if v is None else str(v) for k, v in values.items()}
        for name, value in values.items():
            if name.endswith("_key") and isinstance(value, str):
                filled[name[: -len("_key")]] = self.template(language, value) or ""
        return template.format_map(_Blank(filled))
