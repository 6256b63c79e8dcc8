"""Language identification per message, and the rule for when a conversation changes language.

Detection uses lingua restricted to the recognised languages (``languages.yml``); scripts lingua
does not know (Burmese, Khmer, Lao, Sinhala, Ethiopic) are recognised by Unicode block, a
language lingua lacks that shares a script with one it has (Nepali beside Hindi) by words only it
uses, a language typed in Latin letters (Hinglish, Arabizi, Russian in transliteration, Vietnamese
without tone marks) by the words only its romanisation uses, and very short messages ("hello",
"hola") by the marker words in ``language_markers.yml``.
A conversation keeps its language unless the person asks for another one or clearly writes in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, Mapping, Optional, Sequence, Tuple

import yaml

from bot.text import fold, word_tokens, words

# Unicode blocks of scripts that lingua lacks, and the language each one means here.
SCRIPT_RULES: Tuple[Tuple[int, int, str], ...] = (
    (0x1000, 0x109F, "my"),  # Myanmar (Burmese)
    (0x1780, 0x17FF, "km"),  # Khmer
    (0x0E80, 0x0EFF, "lo"),  # Lao
    (0x0D80, 0x0DFF, "si"),  # Sinhala
    (0x1200, 0x139F, "am"),  # Ethiopic (Amharic; Tigrinya shares it)
)

MARKERS_FILE = Path(__file__).resolve().parent / "language_markers.yml"
LANGUAGES_FILE = Path(__file__).resolve().parent / "languages.yml"
MARKER_MAX_WORDS = 3

# How sure detection must be, and how long the message, before a conversation switches language.
SWITCH_MIN_CONFIDENCE = 0.9
SWITCH_MIN_WORDS = 3
# Scripts without spaces (Thai, Chinese ...) have few "words": this many characters count instead.
UNSPACED_MIN_CHARACTERS = 6
FIRST_MESSAGE_MIN_CONFIDENCE = 0.5
# A message in Latin letters is read as a romanised language when at least this many of its words,
# and this share of them, are that romanisation's own words (see :class:`RomanisedRule`).
ROMANISED_MIN_WORDS = 2
ROMANISED_MIN_SHARE = 0.2
ROMANISED_CONFIDENCE = 0.9
# Letters outside Latin's blocks (Latin-1, Extended-A/B, IPA) mean the text is not romanised.
_LATIN_END = 0x02AF
_LATIN_TOKEN = re.compile(r"[a-z0-9']+")
# Some romanisations write letters Latin lacks as digits: Arabizi 3 (ع), 7 (ح), 2 (ء), 5 (خ), 9 (ق)
# ("7abibi", "ma3a"), Bulgarian 4 (ч) and 6 (ш) ("6efa", "momi4e"). Not a digit word's ending
# ("9am", "12th", "2day") and not Indonesian's doubling ("anak2" for "anak-anak").
_NOT_DIGIT_LETTERS = re.compile(r"^(?:\d+(?:am|pm|st|nd|rd|th|hrs?|mins?|yrs?|days?|kg|km)|2(?:day|nite|night|morrow|moro|mrw)|.*[a-z]2)$")


def long_enough(text: str) -> bool:
    """Long enough to trust language detection: 3+ words, or 6+ characters of an unspaced script."""
    return len(words(text)) >= SWITCH_MIN_WORDS or len(word_tokens(text)) >= UNSPACED_MIN_CHARACTERS


@dataclass(frozen=True)
class SharedScriptRule:
    """``language`` is meant when lingua says ``instead_of`` and the text shows more of its words.

    Evidence for ``language``: its own words, and words with its endings (Nepali writes its
    postpositions on the word: घरमा, मालिकले). Evidence against: words only ``instead_of`` uses
    (Hindi है, में, मुझे). Where the line's number is set to ``language``, a message with no
    evidence either way ("अधिकार", "नमस्ते": the same word in both) is taken as ``language``.
    """

    language: str
    instead_of: str
    words: FrozenSet[str]
    endings: Tuple[str, ...]
    other_words: FrozenSet[str] = frozenset()

    def evidence(self, text: str) -> Tuple[int, int]:
        """How many words speak for ``language`` and how many for ``instead_of``."""
        ours = theirs = 0
        for token in text.split():
            token = token.strip(".,!?;:\"'()[]।॥-")
            if token in self.other_words:
                theirs += 1
            elif token in self.words or any(len(token) > len(e) and token.endswith(e) for e in self.endings):
                ours += 1
        return ours, theirs

    def applies(self, text: str, expected: Optional[str] = None) -> bool:
        ours, theirs = self.evidence(text)
        return ours > theirs or (expected == self.language and ours == theirs == 0)


@dataclass(frozen=True)
class RomanisedRule:
    """``language`` typed in Latin letters, as many people text it (Hinglish "mujhe madad chahiye",
    Arabizi "7ad ysa3edni", Russian "pomogite mne").

    lingua has no model of these and reads them as Swahili, Tagalog or Albanian. The evidence is
    the words only this romanisation uses (none of them a word of a Latin-script language here),
    and the digits some romanisations write for letters Latin lacks.
    """

    language: str
    words: FrozenSet[str]
    letter_digits: str = ""

    def evidence(self, tokens: Sequence[str]) -> int:
        """How many of ``tokens`` (folded Latin words) are this romanisation's."""
        return sum(1 for token in tokens if token in self.words or self._spelt_with_digits(token))

    def _spelt_with_digits(self, token: str) -> bool:
        """A word of two or more letters with a digit standing for a letter ("ma3a", "6te")."""
        if not self.letter_digits or not any(digit in token for digit in self.letter_digits):
            return False
        letters = sum(char.isalpha() for char in token)
        spelt = all(char.isalpha() or char in self.letter_digits for char in token)
        return spelt and letters >= 2 and _NOT_DIGIT_LETTERS.match(token) is None


def _languages_data() -> Dict:
    with open(LANGUAGES_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def recognised_languages() -> Tuple[str, ...]:
    """Every language a message may be recognised in (``languages.yml``)."""
    return tuple(str(code) for code in _languages_data().get("recognised") or ())


def shared_script_rules(languages: Sequence[str]) -> Tuple[SharedScriptRule, ...]:
    rules = []
    for code, rule in (_languages_data().get("shared_script") or {}).items():
        if code in languages:
            rules.append(
                SharedScriptRule(
                    language=str(code),
                    instead_of=str(rule["instead_of"]),
                    words=frozenset(str(word) for word in rule.get("words") or ()),
                    endings=tuple(str(ending) for ending in rule.get("endings") or ()),
                    other_words=frozenset(str(word) for word in rule.get("other_words") or ()),
                )
            )
    return tuple(rules)


def romanised_rules(languages: Sequence[str]) -> Tuple[RomanisedRule, ...]:
    rules = []
    for code, rule in (_languages_data().get("romanised") or {}).items():
        if code in languages:
            rules.append(
                RomanisedRule(
                    language=str(code),
                    words=frozenset(fold(str(word)) for word in rule.get("words") or ()),
                    letter_digits=str(rule.get("letter_digits") or ""),
                )
            )
    return tuple(rules)


def latin_tokens(text: str) -> Optional[list[str]]:
    """The folded words of ``text`` if every letter in it is Latin, else None."""
    if any(char.isalpha() and ord(char) > _LATIN_END for char in text):
        return None
    return _LATIN_TOKEN.findall(fold(text))


@dataclass(frozen=True)
class Detection:
    """The most likely language of one message (ISO 639-1) and how sure the detector is."""

    language: str
    confidence: float


class LanguageIdentifier:
    """Detects the language of short messages among a fixed set of languages."""

    def __init__(self, languages: Sequence[str]) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        self.languages = tuple(languages)
        script_codes = {code for _, _, code in SCRIPT_RULES}
        lingua_codes = []
        for code in self.languages:
            if code in script_codes:
                continue
            try:
                lingua_codes.append(getattr(IsoCode639_1, code.upper()))
            except AttributeError:
                continue
        self._script_codes = script_codes & set(self.languages)
        self._shared_script = shared_script_rules(self.languages)
        self._romanised = romanised_rules(self.languages)
        self._detector = None
        if len(lingua_codes) >= 2:
            self._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*lingua_codes).build()
        self._only = lingua_codes[0].name.lower() if len(lingua_codes) == 1 else None
        self._markers = self._load_markers(self.languages)

    @staticmethod
    def _load_markers(languages: Sequence[str]) -> Mapping[str, str]:
        with open(MARKERS_FILE, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        markers: Dict[str, str] = {}
        for language in languages:
            for word in data.get(language) or []:
                markers[str(word)] = language
        return markers

    def _by_markers(self, text: str) -> Optional[str]:
        tokens = words(text)
        if not tokens or len(tokens) > MARKER_MAX_WORDS:
            return None
        found = {self._markers[token] for token in tokens if token in self._markers}
        return found.pop() if len(found) == 1 else None

    def _by_romanisation(self, text: str, expected: Optional[str]) -> Optional[str]:
        """The romanised language ``text`` is typed in, when its own words make that clear."""
        tokens = latin_tokens(text) if self._romanised else None
        if not tokens:
            return None
        scores = sorted(((rule.evidence(tokens), rule.language) for rule in self._romanised), reverse=True)
        best, language = scores[0]
        if best < ROMANISED_MIN_WORDS or best < ROMANISED_MIN_SHARE * len(tokens):
            return None
        tied = [code for score, code in scores if score == best]
        if len(tied) == 1:
            return language
        # Hindi and Nepali share words ("ghar", "paisa"): the line's number settles a tie.
        return expected if expected in tied else None

    def _by_script(self, text: str) -> Optional[str]:
        counts: Dict[str, int] = {}
        for char in text:
            point = ord(char)
            for start, end, code in SCRIPT_RULES:
                if start <= point <= end and code in self._script_codes:
                    counts[code] = counts.get(code, 0) + 1
        return max(counts, key=counts.__getitem__) if counts else None

    def detect(self, text: str, expected: Optional[str] = None) -> Detection:
        """Best guess for ``text``; confidence 0 when there is nothing to go on.

        ``expected`` is the language the line's number is set to, if any: it settles a message
        that reads the same in two languages of one script (see :class:`SharedScriptRule`).
        """
        scripted = self._by_script(text)
        if scripted:
            return Detection(scripted, 1.0)
        marked = self._by_markers(text)
        if marked:
            return Detection(marked, 0.95)
        romanised = self._by_romanisation(text, expected)
        if romanised:
            return Detection(romanised, ROMANISED_CONFIDENCE)
        if self._detector is None:
            return Detection(self._only or self.languages[0], 1.0 if self._only else 0.0)
        values = self._detector.compute_language_confidence_values(text)
        if not values or not words(text):
            return Detection(self.languages[0], 0.0)
        best = values[0]
        language, confidence = best.language.iso_code_639_1.name.lower(), float(best.value)
        for rule in self._shared_script:
            if language == rule.instead_of and rule.applies(text, expected):
                return Detection(rule.language, confidence)
        return Detection(language, confidence)


def written_language(
    current: Optional[str], detection: Detection, text: str, configured: Iterable[str], established: bool = False
) -> Optional[str]:
    """The language the person writes in when the bot cannot write it, else None.

    Set by a message of several words (or in a script only that language uses) clearly in a
    recognised language the bot lacks; cleared by one clearly in a language the bot writes.
    Short messages ("ok", "1", an emoji) leave it as it was. Once a conversation is under way
    (``established``), detection must be as sure as for a change of language: an unsure guess
    must not hand an English conversation to a counselor "in Tagalog".
    """
    needed = SWITCH_MIN_CONFIDENCE if established else FIRST_MESSAGE_MIN_CONFIDENCE
    if detection.confidence < needed or not long_enough(text):
        return current
    return None if detection.language in tuple(configured) else detection.language


def conversation_language(
    current: Optional[str],
    detection: Detection,
    text: str,
    asked_for: Optional[str],
    configured: Iterable[str],
    default: str,
) -> str:
    """The language the conversation continues in after this message.

    An explicit request for a configured language wins. The first message sets the language when
    detection is reasonably sure. Later, the language only changes when a message of several words
    is clearly in another configured language: "ok", "si" or a name never flip it.
    """
    configured = tuple(configured)
    if asked_for in configured:
        return asked_for
    if current not in configured:
        if detection.language in configured and detection.confidence >= FIRST_MESSAGE_MIN_CONFIDENCE:
            return detection.language
        return default
    if (
        detection.language != current
        and detection.language in configured
        and detection.confidence >= SWITCH_MIN_CONFIDENCE
        and long_enough(text)
    ):
        return detection.language
    return current
