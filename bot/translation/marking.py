"""Marking machine-translated text for the person who reads it, within the SMS budget."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional

import yaml

from bot.sms import fits_reply_limit

MARKERS_FILE = Path(__file__).resolve().parent / "markers.yml"
FALLBACK = "en"


@lru_cache(maxsize=1)
def _markers() -> Dict[str, str]:
    data = yaml.safe_load(MARKERS_FILE.read_text(encoding="utf-8")) or {}
    return {str(code): str(entry["text"]) for code, entry in data.items()}


def marker(language: str) -> str:
    """"(machine translated)" in ``language`` (in English for a language without one)."""
    markers = _markers()
    return markers.get(language) or markers[FALLBACK]


def marked(text: str, language: str) -> str:
    return f"{text} {marker(language)}"


def marked_within_budget(text: str, language: str) -> Optional[str]:
    """The marked text when it fits one reply's SMS budget (2 segments), else None."""
    candidate = marked(text, language)
    return candidate if fits_reply_limit(candidate) else None
