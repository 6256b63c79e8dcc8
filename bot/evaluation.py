"""``hotline eval``: the project's own held-out test set, scored per language.

The set lives in ``eval_data/<lang>.yml`` (never trained on; written separately from the
training data). Reported per language: intent accuracy and macro-F1, danger recall and
precision, indicator micro-F1 and language-identification accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import yaml

from bot.config import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval_data"


@dataclass(frozen=True)
class Scores:
    language: str
    messages: int
    intent_accuracy: float
    intent_macro_f1: float
    danger_recall: float
    danger_precision: float
    danger_missed: int
    indicator_micro_f1: float
    language_id_accuracy: float


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 1.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over the intents that occur in the gold labels."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        scores.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return sum(scores) / len(scores) if scores else 0.0


def load_set(language: str, directory: Path = EVAL_DIR) -> List[Dict]:
    with open(Path(directory) / f"{language}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["messages"]


def score(language: str, examples: Sequence[Dict], classify: Callable[[str], Dict]) -> Scores:
    """Score one language's examples with a ``hotline classify``-style function."""
    results = [classify(example["text"]) for example in examples]
    gold_intents = [example["intent"] for example in examples]
    predicted_intents = [result["intent"] for result in results]

    danger_tp = sum(1 for e, r in zip(examples, results) if e["danger"] and r["danger"])
    danger_fp = sum(1 for e, r in zip(examples, results) if not e["danger"] and r["danger"])
    danger_fn = sum(1 for e, r in zip(examples, results) if e["danger"] and not r["danger"])

    indicator_tp = indicator_fp = indicator_fn = 0
    for example, result in zip(examples, results):
        gold = set(example.get("indicators") or [])
        found = {item["key"] for item in result["indicators"]}
        indicator_tp += len(gold & found)
        indicator_fp += len(found - gold)
        indicator_fn += len(gold - found)
    precision = _ratio(indicator_tp, indicator_tp + indicator_fp)
    recall = _ratio(indicator_tp, indicator_tp + indicator_fn)

    return Scores(
        language=language,
        messages=len(examples),
        intent_accuracy=_ratio(sum(g == p for g, p in zip(gold_intents, predicted_intents)), len(examples)),
        intent_macro_f1=macro_f1(gold_intents, predicted_intents),
        danger_recall=_ratio(danger_tp, danger_tp + danger_fn),
        danger_precision=_ratio(danger_tp, danger_tp + danger_fp),
        danger_missed=danger_fn,
        indicator_micro_f1=0.0 if not (precision + recall) else 2 * precision * recall / (precision + recall),
        language_id_accuracy=_ratio(sum(1 for r in results if r["language"] == language), len(examples)),
    )


HEADER = "| language | messages | intent accuracy | intent macro-F1 | danger recall | danger precision | indicator micro-F1 | language-ID accuracy |"


def as_row(scores: Scores) -> str:
    return (
        f"| {scores.language} | {scores.messages} | {scores.intent_accuracy:.3f} | {scores.intent_macro_f1:.3f} | "
        f"{scores.danger_recall:.3f} | {scores.danger_precision:.3f} | {scores.indicator_micro_f1:.3f} | "
        f"{scores.language_id_accuracy:.3f} |"
    )


def as_table(all_scores: Sequence[Scores]) -> str:
    separator = "|" + "---|" * 8
    return "\n".join([HEADER, separator, *(as_row(s) for s in all_scores)])


RESULTS_MARK = "<!-- results -->"


def write_results_section(path: Path, table: str, mark: str = RESULTS_MARK) -> None:
    """Replace the section that follows ``mark`` (up to the next results mark) with ``table``."""
    import re

    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if mark not in text:
        text = f"{text.rstrip()}\n\n{mark}\n"
    head, tail = text.split(mark, 1)
    following = re.search(r"^<!-- [a-z ]*results -->", tail, re.MULTILINE)
    rest = "\n" + tail[following.start():] if following else ""
    path.write_text(f"{head}{mark}\n{table}\n{rest}", encoding="utf-8")
