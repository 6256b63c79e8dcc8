"""The help line's receiving numbers: which jurisdiction and default language each one serves.

Kept as data in ``hotline_numbers.yml`` (``HOTLINE_NUMBERS_FILE``); read once, checked on load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import yaml

from bot.crypto import normalise_address
from bot.errors import ConfigError


@dataclass(frozen=True)
class HotlineNumber:
    jurisdiction: Optional[str]
    language: Optional[str]


def load_numbers(path: Path, jurisdictions: Tuple[str, ...]) -> Dict[str, HotlineNumber]:
    """Normalised number -> what it serves (each jurisdiction one of ``jurisdictions``, the
    knowledge base's). A missing file means no number is configured."""
    if not Path(path).exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    numbers: Dict[str, HotlineNumber] = {}
    for number, entry in (data.get("numbers") or {}).items():
        jurisdiction = (entry or {}).get("jurisdiction")
        if jurisdiction is not None and jurisdiction not in jurisdictions:
            raise ConfigError(f"{path}: number {number!r} has unknown jurisdiction {jurisdiction!r}")
        numbers[normalise_address(str(number))] = HotlineNumber(jurisdiction, (entry or {}).get("language"))
    return numbers


def lookup(numbers: Dict[str, HotlineNumber], to: str) -> HotlineNumber:
    return numbers.get(normalise_address(to), HotlineNumber(None, None))
