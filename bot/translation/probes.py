"""The installation check: translate fixed texts with every installed pair and judge the output.

Some published models answer anything with one word repeated, or drop numbers (see
:mod:`bot.translation.quality`); ``hotline translations check`` finds them before a person does.
The probes are the line's own texts in the pair's source language (a greeting, and the emergency
line with the number filled in), or the English ones when the line has no catalog in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

from bot.translation.engine import MachineTranslator, Problem

PROBE_KEYS = ("utter_greet_again", "utter_emergency")


@dataclass(frozen=True)
class PairCheck:
    from_code: str
    to_code: str
    probe: str
    output: Optional[str]
    problem: Optional[Problem]

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_pairs(translator: MachineTranslator, probe_text: Callable[[str, str], str]) -> List[PairCheck]:
    """Each installed pair's probes, translated directly (no pivot); ``probe_text(key, language)``
    renders a catalog text."""
    results: List[PairCheck] = []
    for pair in translator.pairs:
        for key in PROBE_KEYS:
            probe = probe_text(key, pair.from_code)
            translation = translator.translate_blocking(probe, pair.from_code, pair.to_code)
            output = translation.text if translation.text is not None else translation.refused
            results.append(PairCheck(pair.from_code, pair.to_code, probe, output, translation.problem))
    return results
