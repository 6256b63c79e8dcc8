"""One language's texts of the knowledge base, kept apart from the facts they describe.

``bot/knowledge/data/<jurisdiction>.yml`` holds the facts with their English texts;
``bot/knowledge/languages/<lang>.yml`` holds, for every jurisdiction, that language's name for the
place, the words its speakers use for it, the emergency and help-line texts and each rights
answer, plus the words that pick a rights topic. A translator works in one file; an operator who
corrects a number corrects it once. Each file says whether a native speaker has reviewed it.

A text for a jurisdiction, help line or topic the facts do not have is an error (a stale
translation must not survive the fact it described); a missing text is caught where the
jurisdiction is parsed, for every language the line writes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Set, Tuple

import yaml

from bot.catalog import REVIEW_STATUSES
from bot.errors import KnowledgeBaseError

SOURCE_LANGUAGE = "en"
_PLACE_FIELDS = ("name", "short_name")
_FILE_KEYS = frozenset({"language", "review_status", "topics", "jurisdictions"})
_JURISDICTION_KEYS = frozenset({"name", "short_name", "countries", "emergency", "hotlines", "rights"})


@dataclass
class KnowledgeTranslation:
    """The texts of one language for every jurisdiction, as read from its file."""

    language: str
    review_status: str
    topic_words: Mapping[str, Tuple[str, ...]]
    jurisdictions: Mapping[str, Mapping[str, Any]]
    path: str
    _applied: Set[str] = field(default_factory=set)

    def apply(self, data: Dict[str, Any], where: str) -> None:
        """Put this language's texts into one jurisdiction's parsed YAML (in place)."""
        code = str(data.get("jurisdiction"))
        texts = self.jurisdictions.get(code)
        if texts is None:
            return
        self._applied.add(code)
        at = f"{self.path} [{code}]"
        unknown = set(texts) - _JURISDICTION_KEYS
        if unknown:
            raise KnowledgeBaseError(f"{at}: unknown keys {sorted(unknown)}")
        for key in _PLACE_FIELDS:
            if key in texts:
                data.setdefault(key, {})[self.language] = str(texts[key])
        if "countries" in texts:
            data.setdefault("countries", {})[self.language] = [str(word) for word in texts["countries"] or ()]
        if "emergency" in texts:
            data["emergency"].setdefault("text", {})[self.language] = str(texts["emergency"])
        self._apply_to_items(data.get("hotlines"), "id", texts.get("hotlines"), ("name", "contact"), f"{at}: no help line", where)
        self._apply_to_items(data.get("rights"), "topic", texts.get("rights"), ("short", "detail"), f"{at}: no rights entry", where)

    def _apply_to_items(
        self, items: Any, id_key: str, texts: Any, fields: Tuple[str, ...], missing: str, where: str
    ) -> None:
        """Put texts keyed by an item's ``id_key`` (a help line's id, a topic) into its ``fields``."""
        by_id = {str(item.get(id_key)): item for item in items or ()}
        for item_id, item_texts in (texts or {}).items():
            if item_id not in by_id:
                raise KnowledgeBaseError(f"{missing} '{item_id}' in {where}")
            for key in fields:
                if key in item_texts:
                    by_id[item_id].setdefault(key, {})[self.language] = str(item_texts[key])

    def check_all_used(self, known: Mapping[str, Any]) -> None:
        """Refuse texts for a jurisdiction the knowledge base does not have."""
        stale = set(self.jurisdictions) - set(known)
        if stale:
            raise KnowledgeBaseError(f"{self.path}: texts for unknown jurisdictions {sorted(stale)}")


def read_translation(path: Path) -> KnowledgeTranslation:
    """Parse and check the shape of one language's file."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, Mapping):
        raise KnowledgeBaseError(f"{path.name}: expected a mapping")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise KnowledgeBaseError(f"{path.name}: unknown keys {sorted(unknown)}")
    language = str(data.get("language") or "")
    if language != path.stem:
        raise KnowledgeBaseError(f"{path.name}: 'language' must be '{path.stem}', got {language!r}")
    status = data.get("review_status")
    if status not in REVIEW_STATUSES:
        raise KnowledgeBaseError(f"{path.name}: review_status must be one of {REVIEW_STATUSES}, got {status!r}")
    topics = {str(topic): tuple(str(word) for word in words or ()) for topic, words in (data.get("topics") or {}).items()}
    jurisdictions = {str(code): texts or {} for code, texts in (data.get("jurisdictions") or {}).items()}
    return KnowledgeTranslation(language, str(status), topics, jurisdictions, path.name)


def load_translations(directory: Path, languages: Tuple[str, ...]) -> List[KnowledgeTranslation]:
    """The files of every language in ``languages`` but English (which lives with the facts)."""
    found: List[KnowledgeTranslation] = []
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        path = Path(directory) / f"{language}.yml"
        if not path.exists():
            raise KnowledgeBaseError(f"no knowledge-base texts for '{language}': {path} is missing")
        found.append(read_translation(path))
    return found


def review_status_by_language(directory: Path) -> Dict[str, str]:
    """``draft`` or ``reviewed`` for every language file present."""
    return {path.stem: read_translation(path).review_status for path in sorted(Path(directory).glob("*.yml"))}
