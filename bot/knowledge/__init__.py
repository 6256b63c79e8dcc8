"""The knowledge base: emergency numbers, help lines and rights per jurisdiction, kept as data.

One YAML file per jurisdiction in ``bot/knowledge/data/``: the facts (numbers, sources,
``last_reviewed`` dates) with their English texts, so an operator can check and correct them
without touching code. Every other language's texts of every jurisdiction (and its words for
places and rights topics) are in one file per language, ``bot/knowledge/languages/<lang>.yml``
(see :mod:`bot.knowledge.translations`). ``topics.yml`` holds the English words that pick a
rights topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import yaml

from bot.errors import KnowledgeBaseError
from bot.text import fold, word_pattern

TOPICS = (
    "overview",
    "immigration_status",
    "non_punishment",
    "wages_compensation",
    "legal_help",
    "support_services",
)
FALLBACK_JURISDICTION = "INTL"
REQUIRED_TOPICS = ("overview",)
TOPICS_FILE = Path(__file__).resolve().parent / "topics.yml"
# How many emergency numbers the bot lists when it does not know where the person is.
MAX_NUMBERS_WHEN_PLACE_UNKNOWN = 3
# A phone number ("+62 21 2924 4800", "1-888-373-7888", "15999") or else a web address.
SHORT_CONTACT = re.compile(r"\+?\d[\d -]{2,}\d|[\w-]+(?:\.[\w-]+)+\.[a-z]{2,}|[\w-]+\.[a-z]{2,}")


@dataclass(frozen=True)
class Source:
    """Where a fact comes from, and when someone last checked it against that source."""

    name: str
    url: Optional[str]
    last_reviewed: str
    article: Optional[str] = None

    def cite(self) -> str:
        """Short citation for user-facing text: name, article if any."""
        return f"{self.name}, {self.article}" if self.article else self.name


@dataclass(frozen=True)
class Hotline:
    id: str
    name: Mapping[str, str]
    contact: Mapping[str, str]
    source: Source


@dataclass(frozen=True)
class RightsEntry:
    topic: str
    short: Mapping[str, str]
    detail: Mapping[str, str]
    source: Source


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: Mapping[str, str]
    short_name: Mapping[str, str]
    country_words: Mapping[str, Tuple[str, ...]]
    emergency_number: Optional[str]
    emergency_text: Mapping[str, str]
    emergency_source: Source
    hotlines: Tuple[Hotline, ...]
    rights: Mapping[str, RightsEntry]
    # Abbreviations that are places only as written ("US", not "help us").
    country_abbreviations: Tuple[str, ...] = ()
    # (Baseline only) the jurisdictions whose emergency numbers are listed when the place is unknown.
    numbers_when_place_unknown: Tuple[str, ...] = ()


def _require(data: Mapping, key: str, where: str):
    if not isinstance(data, Mapping) or key not in data:
        raise KnowledgeBaseError(f"{where}: missing key '{key}'")
    return data[key]


def _source(data: Mapping, where: str) -> Source:
    source = _require(data, "source", where)
    reviewed = str(_require(data, "last_reviewed", where))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", reviewed):
        raise KnowledgeBaseError(f"{where}: last_reviewed must be YYYY-MM-DD, got {reviewed!r}")
    return Source(
        name=str(_require(source, "name", where + ".source")),
        url=_require(source, "url", where + ".source"),
        article=source.get("article"),
        last_reviewed=reviewed,
    )


def _texts(data: Mapping, key: str, where: str, languages: Tuple[str, ...]) -> Dict[str, str]:
    texts = _require(data, key, where)
    for language in languages:
        if not isinstance(texts, Mapping) or not str(texts.get(language) or "").strip():
            raise KnowledgeBaseError(f"{where}.{key}: no text for language '{language}'")
    return {lang: str(text).strip() for lang, text in texts.items()}


def _parse_jurisdiction(data: Mapping, where: str, languages: Tuple[str, ...]) -> Jurisdiction:
    code = str(_require(data, "jurisdiction", where))
    emergency = _require(data, "emergency", where)
    rights: Dict[str, RightsEntry] = {}
    for index, entry in enumerate(_require(data, "rights", where)):
        at = f"{where}.rights[{index}]"
        topic = str(_require(entry, "topic", at))
        if topic not in TOPICS:
            raise KnowledgeBaseError(f"{at}: unknown topic {topic!r}; topics are {TOPICS}")
        rights[topic] = RightsEntry(
            topic=topic,
            short=_texts(entry, "short", at, languages),
            detail=_texts(entry, "detail", at, languages),
            source=_source(entry, at),
        )
    missing = [topic for topic in REQUIRED_TOPICS if topic not in rights]
    if missing:
        raise KnowledgeBaseError(f"{where}: no rights entry for topics {missing}")
    hotlines = tuple(
        Hotline(
            id=str(_require(item, "id", f"{where}.hotlines[{i}]")),
            name=_texts(item, "name", f"{where}.hotlines[{i}]", languages),
            contact=_texts(item, "contact", f"{where}.hotlines[{i}]", languages),
            source=_source(item, f"{where}.hotlines[{i}]"),
        )
        for i, item in enumerate(_require(data, "hotlines", where))
    )
    countries = data.get("countries") or {}
    listed = data.get("emergency_numbers_when_place_unknown") or ()
    return Jurisdiction(
        code=code,
        name=_texts(data, "name", where, languages),
        short_name=dict(data.get("short_name") or {}),
        country_words={lang: tuple(fold(str(w)) for w in countries.get(lang) or ()) for lang in countries},
        country_abbreviations=tuple(str(word) for word in data.get("country_abbreviations") or ()),
        emergency_number=None if emergency.get("number") is None else str(emergency["number"]),
        emergency_text=_texts(emergency, "text", where + ".emergency", languages),
        emergency_source=_source(emergency, where + ".emergency"),
        hotlines=hotlines,
        rights=rights,
        numbers_when_place_unknown=tuple(str(code) for code in listed),
    )


def jurisdiction_codes(directory: Path) -> Tuple[str, ...]:
    """The jurisdictions the knowledge base has: one file each, named after its code."""
    return tuple(sorted(path.stem.upper() for path in Path(directory).glob("*.yml")))


# The longest place name a person answers with ("United States of America", "Hong Kong SAR").
PLACE_NAME_MAX_WORDS = 5


class KnowledgeBase:
    """All jurisdictions, loaded and checked once; lookups never touch the disk again."""

    def __init__(
        self,
        jurisdictions: Mapping[str, Jurisdiction],
        topic_words: Mapping[str, Mapping[str, List[str]]],
        regions_without_a_jurisdiction: Tuple[str, ...] = (),
    ):
        if FALLBACK_JURISDICTION not in jurisdictions:
            raise KnowledgeBaseError(f"the knowledge base needs a '{FALLBACK_JURISDICTION}' baseline file")
        self.jurisdictions = dict(jurisdictions)
        self._topic_words = {
            topic: {lang: [fold(w) for w in ws] for lang, ws in by_lang.items()}
            for topic, by_lang in topic_words.items()
        }
        self._country_patterns = [
            (re.compile(word_pattern(word)), code, language)
            for code, jurisdiction in self.jurisdictions.items()
            for language, lang_words in jurisdiction.country_words.items()
            for word in lang_words
            if word
        ]
        self._country_patterns.sort(key=lambda item: len(item[0].pattern), reverse=True)
        self._regions_without_a_jurisdiction = [
            re.compile(word_pattern(fold(region))) for region in regions_without_a_jurisdiction
        ]
        self._abbreviation_patterns = [
            (re.compile(r"(?<![\w.])" + re.escape(word) + r"(?![\w])"), code)
            for code, jurisdiction in self.jurisdictions.items()
            for word in jurisdiction.country_abbreviations
        ]

    @classmethod
    def load(
        cls, directory: Path, languages: Tuple[str, ...] = ("en", "es"), translations_dir: Optional[Path] = None
    ) -> "KnowledgeBase":
        """Read and validate every ``*.yml`` in ``directory`` with the texts of every language in
        ``languages`` from ``translations_dir`` (default: the ``languages`` folder beside
        ``directory``, as ``bot/knowledge/languages`` is beside ``bot/knowledge/data``)."""
        from bot.knowledge.translations import load_translations

        translations = load_translations(translations_dir or Path(directory).parent / "languages", languages)
        jurisdictions: Dict[str, Jurisdiction] = {}
        files = sorted(Path(directory).glob("*.yml"))
        if not files:
            raise KnowledgeBaseError(f"no knowledge-base files in {directory}")
        for path in files:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
            for translation in translations:
                translation.apply(data, path.name)
            jurisdiction = _parse_jurisdiction(data, path.name, languages)
            if jurisdiction.code != path.stem.upper():
                raise KnowledgeBaseError(f"{path.name}: holds jurisdiction {jurisdiction.code!r}; name the file {jurisdiction.code.lower()}.yml")
            jurisdictions[jurisdiction.code] = jurisdiction
        for translation in translations:
            translation.check_all_used(jurisdictions)
        with open(TOPICS_FILE, encoding="utf-8") as handle:
            topic_words: Dict[str, Dict[str, List[str]]] = yaml.safe_load(handle)
        for translation in translations:
            for topic, words in translation.topic_words.items():
                topic_words.setdefault(topic, {})[translation.language] = list(words)
        unknown = set(topic_words) - set(TOPICS)
        if unknown:
            raise KnowledgeBaseError(f"topics.yml names unknown topics {sorted(unknown)}")
        with open(Path(directory) / f"{FALLBACK_JURISDICTION.lower()}.yml", encoding="utf-8") as handle:
            regions = tuple(str(r) for r in (yaml.safe_load(handle) or {}).get("regions_without_a_jurisdiction") or ())
        return cls(jurisdictions, topic_words, regions)

    def get(self, code: Optional[str]) -> Optional[Jurisdiction]:
        """The jurisdiction with this code, or None for an unknown one."""
        return self.jurisdictions.get(code) if code else None

    def jurisdiction_in(self, text: str, languages: Optional[Iterable[str]] = None) -> Optional[str]:
        """The jurisdiction of a place named in ``text`` ("estoy en España" -> "EU"), if any.

        ``languages``: whose words for places to look for (the conversation's and the message's,
        and English), since a place word of one language is an everyday word of another
        (Indonesian "Filipina" is the Philippines, Spanish "filipina" a Filipino woman); all when
        None. Abbreviations ("US", "EU") count in every language, as written."""
        wanted = None if languages is None else set(languages)
        folded = fold(text)
        for region in self._regions_without_a_jurisdiction:
            folded = region.sub(" ", folded)
        for pattern, code, language in self._country_patterns:
            if (wanted is None or language in wanted) and pattern.search(folded):
                return code
        bare = text.strip(" .!?¿¡,")
        if text.upper() == text and not any(pattern.fullmatch(bare) for pattern, _ in self._abbreviation_patterns):
            return None  # "HELP US" is shouting, not a place; a bare "US" answers where they are
        for pattern, code in self._abbreviation_patterns:
            if pattern.search(text):
                return code
        return None

    def is_only_a_place(self, text: str) -> bool:
        """Whether ``text`` is nothing but place names ("USA", "Dubai", "España"): the answer to
        "which country are you in?", which says nothing about danger by itself."""
        if len(text.split()) > PLACE_NAME_MAX_WORDS:
            return False  # a sentence, not an answer (and the patterns need not run on every message)
        rest = text
        for pattern, _ in self._abbreviation_patterns:
            rest = pattern.sub(" ", rest)
        rest = fold(rest)
        for region in self._regions_without_a_jurisdiction:
            rest = region.sub(" ", rest)
        for pattern, _, _ in self._country_patterns:
            rest = pattern.sub(" ", rest)
        return any(char.isalpha() for char in text) and not any(char.isalpha() for char in rest)

    def topic_in(self, text: str) -> str:
        """The rights topic a question is about; ``overview`` when no topic word appears."""
        folded = fold(text)
        best, best_hits = "overview", 0
        for topic in TOPICS:
            hits = sum(
                1
                for words in self._topic_words.get(topic, {}).values()
                for word in words
                if re.search(word_pattern(word, whole=False), folded)
            )
            if hits > best_hits:
                best, best_hits = topic, hits
        return best

    def rights(self, code: Optional[str], topic: str) -> RightsEntry:
        """The rights entry for a topic: the jurisdiction's, or the international baseline's when
        the jurisdiction has none for it (nothing is said about a place without a source)."""
        jurisdiction = self.get(code) or self.jurisdictions[FALLBACK_JURISDICTION]
        return jurisdiction.rights.get(topic) or self.jurisdictions[FALLBACK_JURISDICTION].rights[topic]

    def emergency_text(self, code: Optional[str], language: str) -> str:
        """How to reach emergency services: the local number, or every known one when unsure."""
        jurisdiction = self.get(code)
        if jurisdiction and jurisdiction.emergency_number:
            return jurisdiction.emergency_text[language]
        baseline = self.jurisdictions[FALLBACK_JURISDICTION]
        listed_codes = baseline.numbers_when_place_unknown or tuple(self.jurisdictions)
        known = [
            self.jurisdictions[c] for c in listed_codes if c in self.jurisdictions and self.jurisdictions[c].emergency_number
        ][:MAX_NUMBERS_WHEN_PLACE_UNKNOWN]
        fallback = baseline.emergency_text[language]
        listed = ", ".join(f"{j.emergency_number} {j.short_name.get(language, j.code)}" for j in known)
        return f"{fallback} ({listed})" if listed else fallback

    def emergency_number(self, code: Optional[str]) -> str:
        """The local emergency number alone ("112"), or every known one when unsure ("112/999/911"):
        for notices that must also fit other help into two SMS."""
        jurisdiction = self.get(code)
        if jurisdiction and jurisdiction.emergency_number:
            return jurisdiction.emergency_number
        baseline = self.jurisdictions[FALLBACK_JURISDICTION]
        listed_codes = baseline.numbers_when_place_unknown or tuple(self.jurisdictions)
        numbers = [self.jurisdictions[c].emergency_number for c in listed_codes if c in self.jurisdictions]
        return "/".join(dict.fromkeys(n for n in numbers if n))

    def hotline_number(self, code: Optional[str]) -> str:
        """The first help line's number alone ("1-888-373-7888"), or its web address when it has
        no number (the international directory)."""
        jurisdiction = self.get(code) or self.jurisdictions[FALLBACK_JURISDICTION]
        hotline = (jurisdiction.hotlines or self.jurisdictions[FALLBACK_JURISDICTION].hotlines)[0]
        contact = hotline.contact.get("en") or next(iter(hotline.contact.values()))
        found = SHORT_CONTACT.search(contact)
        return found.group(0) if found else contact

    def hotline_text(self, code: Optional[str], language: str) -> str:
        """The first help line of the jurisdiction (or the international directory)."""
        jurisdiction = self.get(code) or self.jurisdictions[FALLBACK_JURISDICTION]
        hotline = (jurisdiction.hotlines or self.jurisdictions[FALLBACK_JURISDICTION].hotlines)[0]
        return hotline.contact[language]
