"""Response catalogs: every sentence the bot says, per language, in ``translations/<lang>.yml``.

A catalog maps a response name (``utter_welcome``) to its text, with ``{placeholders}``, and its
``review_status``: ``draft`` until a native speaker has read it, then ``reviewed`` (``hotline
catalogs status`` counts them, so an operator sees what still needs a reader):

    utter_welcome: {review_status: reviewed, text: "This help line is confidential..."}

The placeholders the bot fills are listed in :data:`PLACEHOLDERS`; a catalog must not use others.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

import yaml

from bot.errors import CatalogError

# Placeholder -> what it holds. Filled by bot.dialogue.nlg from the knowledge base and slots,
# or passed by the action that sends the response.
PLACEHOLDERS: Mapping[str, str] = {
    "emergency": "how to reach emergency services where the person is",
    "hotline": "the help line of the person's jurisdiction (or the international directory)",
    "emergency_number": "the local emergency number alone (every known one when the place is unknown)",
    "hotline_number": "the number (or web address) of the jurisdiction's help line, alone",
    "place": "the name of the person's jurisdiction",
    "first": "a catalog entry passed as first_key (e.g. an indicator in plain words)",
    "second": "a catalog entry passed as second_key",
    "text": "a knowledge-base text (rights answer)",
    "source": "a knowledge-base citation",
    "reviewed": "a knowledge-base last_reviewed date",
    "position": "place in the queue",
    "wait": "estimated wait in whole minutes (bot.handoff.queue)",
}


REVIEW_STATUSES = ("draft", "reviewed")


@dataclass(frozen=True)
class ReviewCounts:
    """How far a language's catalog is: entries reviewed, in draft, and missing (against the
    default language's, which every language falls back to)."""

    language: str
    reviewed: int
    draft: int
    missing: int


def placeholders_in(text: str) -> Set[str]:
    """The ``{names}`` used in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _entry(path: Path, key: object, entry: object) -> Tuple[str, str]:
    """An entry's text and review status, or an error naming the file and the entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        raise CatalogError(f"{path}: '{key}' must be {{review_status: draft|reviewed, text: \"...\"}}")
    status = entry.get("review_status")
    if status not in REVIEW_STATUSES:
        raise CatalogError(f"{path}: '{key}' has review_status {status!r}; it must be one of {', '.join(REVIEW_STATUSES)}")
    extra = set(entry) - {"text", "review_status"}
    if extra:
        raise CatalogError(f"{path}: '{key}' has unknown fields {sorted(extra)}")
    return entry["text"], status


class Catalogs:
    """Every configured language's catalog, loaded and checked once."""

    def __init__(
        self,
        catalogs: Mapping[str, Mapping[str, str]],
        default_language: str,
        review: Optional[Mapping[str, Mapping[str, str]]] = None,
    ) -> None:
        if default_language not in catalogs:
            raise CatalogError(f"no catalog for the default language '{default_language}'")
        self._catalogs = {lang: dict(entries) for lang, entries in catalogs.items()}
        self._review = {lang: dict(statuses) for lang, statuses in (review or {}).items()}
        self.default_language = default_language

    @classmethod
    def load(cls, directory: Path, languages: Iterable[str], default_language: str) -> "Catalogs":
        """Read ``<directory>/<lang>.yml`` for each language; unknown placeholders are an error."""
        catalogs: Dict[str, Dict[str, str]] = {}
        review: Dict[str, Dict[str, str]] = {}
        for language in languages:
            path = Path(directory) / f"{language}.yml"
            if not path.exists():
                raise CatalogError(f"missing response catalog {path}")
            with open(path, encoding="utf-8") as handle:
                entries = yaml.safe_load(handle) or {}
            if not isinstance(entries, dict):
                raise CatalogError(f"{path}: a catalog maps response names to entries")
            texts, statuses = {}, {}
            for key, entry in entries.items():
                text, status = _entry(path, key, entry)
                unknown = placeholders_in(text) - set(PLACEHOLDERS)
                if unknown:
                    raise CatalogError(f"{path}: '{key}' uses unknown placeholders {sorted(unknown)}")
                texts[key], statuses[key] = text.strip(), status
            catalogs[language], review[language] = texts, statuses
        return cls(catalogs, default_language, review)

    def review_counts(self) -> List[ReviewCounts]:
        """Per language: reviewed, draft and missing entries (see :class:`ReviewCounts`)."""
        expected = self.keys(self.default_language)
        counts = []
        for language in self._catalogs:
            statuses = self._review.get(language, {})
            reviewed = sum(1 for status in statuses.values() if status == "reviewed")
            counts.append(ReviewCounts(language, reviewed, len(statuses) - reviewed, len(expected - set(statuses))))
        return counts

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
