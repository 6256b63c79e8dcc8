"""Cue lexicons: short phrases that are evidence of an indicator or of immediate danger.

One YAML file per language in ``bot/nlu/lexicons/`` (``indicators: {key: [phrases]}`` and
``danger: [phrases]``). Phrases match whole tokens, ignoring case and accents; ``*`` stands for
exactly one token. Matching uses spaCy's ``Matcher`` with each language's own tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import yaml

from bot.text import fold

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
DANGER = "danger"


@dataclass(frozen=True)
class CueHit:
    """One matched cue: which label it supports and where it is in the message."""

    label: str
    start: int
    end: int
    language: str


def _blank_pipeline(language: str):
    import spacy

    try:
        return spacy.blank(language)
    except Exception:  # spaCy has no tokenizer for this language: a neutral one still works
        return spacy.blank("xx")


class CueLexicon:
    """All configured languages' cue phrases, compiled once."""

    def __init__(self, languages: Iterable[str], directory: Path = LEXICON_DIR) -> None:
        from spacy.matcher import Matcher

        self._pipelines: List[Tuple[str, Any, Matcher]] = []
        for language in languages:
            path = Path(directory) / f"{language}.yml"
            if not path.exists():
                continue
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
            nlp = _blank_pipeline(language)
            matcher = Matcher(nlp.vocab)
            phrases: Dict[str, List[str]] = dict(data.get("indicators") or {})
            phrases[DANGER] = list(data.get("danger") or [])
            for label, label_phrases in phrases.items():
                patterns = [self._pattern(nlp, str(phrase)) for phrase in label_phrases]
                patterns = [pattern for pattern in patterns if pattern]
                if patterns:
                    matcher.add(label, patterns)
            self._pipelines.append((language, nlp, matcher))

    @staticmethod
    def _pattern(nlp, phrase: str) -> List[Dict]:
        pattern: List[Dict] = []
        for token in nlp.make_doc(fold(phrase).strip()):
            pattern.append({} if token.text == "*" else {"LOWER": token.text})
        return pattern

    def matches(self, text: str) -> List[CueHit]:
        """Every cue found in ``text``, with character offsets into ``text`` itself."""
        folded = fold(text)
        hits: List[CueHit] = []
        for language, nlp, matcher in self._pipelines:
            doc = nlp.make_doc(folded)
            for match_id, start, end in matcher(doc):
                span = doc[start:end]
                hits.append(CueHit(nlp.vocab.strings[match_id], span.start_char, span.end_char, language))
        return hits
