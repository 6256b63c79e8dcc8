"""The console's words for the core's codes (``console/texts.yml``): why a reply did not go, and
what each of the bot's responses said."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict, Optional

import yaml

TEXTS_FILE = Path(__file__).resolve().parent / "texts.yml"


@functools.lru_cache(maxsize=None)
def texts() -> Dict[str, Dict[str, str]]:
    with open(TEXTS_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def blocked_notice(code: str) -> Optional[str]:
    """The notice for a reply that could not be sent, or None for an unknown code."""
    return texts()["delivery_blocked"].get(code)


def delivery_reason(error: Optional[str]) -> str:
    """A stored delivery error as counselors read it: a known code in words, anything else as it is."""
    if not error:
        return ""
    return texts()["delivery_reason"].get(error, error)


def bot_said(key: str) -> str:
    """What the bot's response ``key`` told the person, as a counselor reads it."""
    return texts()["bot_said"].get(key) or key.replace("utter_", "").replace("_", " ")
