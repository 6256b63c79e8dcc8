"""``hotline eval``: the project's own held-out sets, scored per language and for the zero-shot group.

Sets (never trained on; written separately from the training data, by authors who never saw
``nlu_data/`` or the cue lexicons):

* ``eval_data/<lang>.yml``: 150 messages per trained language, labelled with intent, indicators
  and danger;
* ``eval_data/hard_negatives/<lang>.yml``: messages that are not immediate danger but look like
  it (past violence, negations, idioms and jokes, films, news and school questions,
  hypotheticals, rights questions naming a country);
* ``eval_data/zero_shot/<lang>.yml``: languages with no training data at all;
* ``eval_data/language_id.yml``: messages in every recognised language, for language identification.

Reported per group: intent accuracy and macro-F1, danger recall (and misses), danger
false-positive rate on the hard negatives (for the zero-shot group: on its non-danger messages),
the share of hard negatives raised as a concern, indicator micro-F1, and language-identification
accuracy on messages of 3 or more words.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import yaml

from bot.config import PROJECT_ROOT
from bot.language import long_enough

EVAL_DIR = PROJECT_ROOT / "eval_data"
ZERO_SHOT = "zero-shot"
Classify = Callable[[Sequence[str]], List[Dict]]


@dataclass(frozen=True)
class Scores:
    group: str
    messages: int
    intent_accuracy: float
    intent_macro_f1: float
    danger_recall: float
    danger_missed: int
    hard_negatives: int
    danger_false_positive_rate: float
    concern_rate: float
    indicator_micro_f1: float
    language_id_messages: int
    language_id_accuracy: float


@dataclass(frozen=True)
class Bars:
    """What ``make test`` requires; a group that misses one fails the run."""

    min_danger_recall: float = 0.98
    max_danger_false_positive_rate: float = 0.10
    min_intent_accuracy: float = 0.90
    min_indicator_f1: float = 0.80
    min_zero_shot_danger_recall: float = 0.90
    min_language_id: float = 0.99  # per trained language, on its own held-out messages
    min_language_id_all: float = 0.99  # over every recognised language (language_id.yml)

    def failures(self, scores: "Scores") -> List[str]:
        found = []
        if scores.group == ZERO_SHOT:
            if scores.danger_recall < self.min_zero_shot_danger_recall:
                found.append(f"danger recall {scores.danger_recall:.3f} < {self.min_zero_shot_danger_recall} ({scores.danger_missed} missed)")
            return found
        checks = [
            (
                scores.danger_recall >= self.min_danger_recall,
                f"danger recall {scores.danger_recall:.3f} < {self.min_danger_recall} ({scores.danger_missed} missed)",
            ),
            (
                scores.danger_false_positive_rate <= self.max_danger_false_positive_rate,
                f"danger false-positive rate {scores.danger_false_positive_rate:.3f} > {self.max_danger_false_positive_rate}",
            ),
            (scores.intent_accuracy >= self.min_intent_accuracy, f"intent accuracy {scores.intent_accuracy:.3f} < {self.min_intent_accuracy}"),
            (scores.indicator_micro_f1 >= self.min_indicator_f1, f"indicator micro-F1 {scores.indicator_micro_f1:.3f} < {self.min_indicator_f1}"),
            (scores.language_id_accuracy >= self.min_language_id, f"language-ID accuracy {scores.language_id_accuracy:.3f} < {self.min_language_id}"),
        ]
        return [message for ok, message in checks if not ok]


def load_floors(path: Path) -> Dict[str, Dict[str, float]]:
    """Per language, the bars it is held to where it does not meet the issue's yet: floors just
    under its measured numbers, so a regression fails while the gap stays written down."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    known = set(Bars.__dataclass_fields__)
    floors: Dict[str, Dict[str, float]] = {}
    for language, values in data.items():
        unknown = set(values or {}) - known
        if unknown:
            raise ValueError(f"{path}: unknown bars {sorted(unknown)} for '{language}'")
        floors[str(language)] = {name: float(value) for name, value in (values or {}).items()}
    return floors


def bars_for(group: str, bars: Bars, floors: Mapping[str, Mapping[str, float]]) -> Bars:
    """The bars of one group: the common ones, with the group's own floors where it has any."""
    return dataclasses.replace(bars, **floors.get(group, {}))


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


def _load(path: Path) -> List[Dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return list((yaml.safe_load(handle) or {}).get("messages") or [])


def load_set(language: str, directory: Path = EVAL_DIR) -> List[Dict]:
    """The main held-out set of a trained language."""
    return _load(Path(directory) / f"{language}.yml")


def load_hard_negatives(language: str, directory: Path = EVAL_DIR) -> List[Dict]:
    return _load(Path(directory) / "hard_negatives" / f"{language}.yml")


def zero_shot_languages(directory: Path = EVAL_DIR) -> List[str]:
    return sorted(path.stem for path in (Path(directory) / "zero_shot").glob("*.yml"))


def load_zero_shot(language: str, directory: Path = EVAL_DIR) -> List[Dict]:
    return _load(Path(directory) / "zero_shot" / f"{language}.yml")


def load_language_id(directory: Path = EVAL_DIR) -> Dict[str, List[str]]:
    path = Path(directory) / "language_id.yml"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as handle:
        return {str(code): list(texts) for code, texts in ((yaml.safe_load(handle) or {}).get("languages") or {}).items()}


def score(
    group: str,
    examples: Sequence[Dict],
    hard_negatives: Sequence[Dict],
    classify: Classify,
    language_of: Dict[str, str],
    extra_language_id: Sequence[str] = (),
) -> Scores:
    """Score one group. ``language_of`` maps each example text to the language it is written in."""
    results = classify([example["text"] for example in examples])
    negatives = classify([example["text"] for example in hard_negatives])
    gold_intents = [example["intent"] for example in examples]
    predicted_intents = [result["intent"] for result in results]

    danger_tp = sum(1 for e, r in zip(examples, results) if e["danger"] and r["danger"])
    danger_fn = sum(1 for e, r in zip(examples, results) if e["danger"] and not r["danger"])
    if hard_negatives:
        false_alarms = sum(1 for r in negatives if r["danger"])
        concerns = sum(1 for r in negatives if not r["danger"] and r.get("concern"))
        negatives_count = len(hard_negatives)
    else:  # the zero-shot group: its own non-danger messages
        calm = [r for e, r in zip(examples, results) if not e["danger"]]
        false_alarms = sum(1 for r in calm if r["danger"])
        concerns = sum(1 for r in calm if not r["danger"] and r.get("concern"))
        negatives_count = len(calm)

    indicator_tp = indicator_fp = indicator_fn = 0
    for example, result in zip(list(examples) + list(hard_negatives), list(results) + list(negatives)):
        gold = set(example.get("indicators") or [])
        found = {item["key"] for item in result["indicators"]}
        indicator_tp += len(gold & found)
        indicator_fp += len(found - gold)
        indicator_fn += len(gold - found)
    precision = _ratio(indicator_tp, indicator_tp + indicator_fp)
    recall = _ratio(indicator_tp, indicator_tp + indicator_fn)

    identified = [(example["text"], result["language"]) for example, result in zip(examples, results)]
    identified += [(text, result["language"]) for text, result in zip(extra_language_id, classify(list(extra_language_id)))]
    identified = [(text, found) for text, found in identified if long_enough(text)]
    correct = sum(1 for text, found in identified if found == language_of.get(text))

    return Scores(
        group=group,
        messages=len(examples),
        intent_accuracy=_ratio(sum(g == p for g, p in zip(gold_intents, predicted_intents)), len(examples)),
        intent_macro_f1=macro_f1(gold_intents, predicted_intents),
        danger_recall=_ratio(danger_tp, danger_tp + danger_fn),
        danger_missed=danger_fn,
        hard_negatives=negatives_count,
        danger_false_positive_rate=_ratio(false_alarms, negatives_count) if negatives_count else 0.0,
        concern_rate=_ratio(concerns, negatives_count) if negatives_count else 0.0,
        indicator_micro_f1=0.0 if not (precision + recall) else 2 * precision * recall / (precision + recall),
        language_id_messages=len(identified),
        language_id_accuracy=_ratio(correct, len(identified)),
    )


def evaluate(classify: Classify, languages: Sequence[str], directory: Path = EVAL_DIR, zero_shot: Optional[Sequence[str]] = None) -> List[Scores]:
    """Every trained language's row, then each zero-shot language and the zero-shot group."""
    language_id = load_language_id(directory)
    rows = []
    for language in languages:
        examples = load_set(language, directory)
        extra = language_id.get(language, [])
        language_of = {text: language for text in [e["text"] for e in examples] + extra}
        rows.append(score(language, examples, load_hard_negatives(language, directory), classify, language_of, extra))
    zero_shot = list(zero_shot if zero_shot is not None else zero_shot_languages(directory))
    group: List[Dict] = []
    group_language_of: Dict[str, str] = {}
    group_extra: List[str] = []
    for language in zero_shot:
        examples = load_zero_shot(language, directory)
        extra = language_id.get(language, [])
        language_of = {text: language for text in [e["text"] for e in examples] + extra}
        rows.append(score(f"{ZERO_SHOT}:{language}", examples, [], classify, language_of, extra))
        group += examples
        group_language_of.update(language_of)
        group_extra += extra
    if group:
        rows.append(score(ZERO_SHOT, group, [], classify, group_language_of, group_extra))
    return rows


def language_id_accuracy(detect: Callable[[Sequence[str]], List[str]], directory: Path = EVAL_DIR) -> Dict[str, float]:
    """Accuracy per language (and ``all``) on ``language_id.yml`` messages of 3+ words."""
    accuracy: Dict[str, float] = {}
    total = correct = 0
    for language, texts in load_language_id(directory).items():
        texts = [text for text in texts if long_enough(text)]
        found = detect(texts)
        hits = sum(1 for code in found if code == language)
        accuracy[language] = _ratio(hits, len(texts))
        total += len(texts)
        correct += hits
    accuracy["all"] = _ratio(correct, total)
    return accuracy


HEADER = (
    "| group | messages | intent accuracy | intent macro-F1 | danger recall (missed) | hard negatives | "
    "danger false-positive rate | raised as concern | indicator micro-F1 | language-ID (3+ words) |"
)


def as_row(scores: Scores) -> str:
    return (
        f"| {scores.group} | {scores.messages} | {scores.intent_accuracy:.3f} | {scores.intent_macro_f1:.3f} | "
        f"{scores.danger_recall:.3f} ({scores.danger_missed}) | {scores.hard_negatives} | "
        f"{scores.danger_false_positive_rate:.3f} | {scores.concern_rate:.3f} | {scores.indicator_micro_f1:.3f} | "
        f"{scores.language_id_accuracy:.3f} ({scores.language_id_messages}) |"
    )


def as_table(all_scores: Sequence[Scores]) -> str:
    separator = "|" + "---|" * 10
    return "\n".join([HEADER, separator, *(as_row(s) for s in all_scores)])


def language_id_table(accuracy: Dict[str, float]) -> str:
    codes = [code for code in accuracy if code != "all"]
    return "\n".join(
        [
            "| " + " | ".join(codes + ["all"]) + " |",
            "|" + "---|" * (len(codes) + 1),
            "| " + " | ".join(f"{accuracy[code]:.2f}" for code in codes + ["all"]) + " |",
        ]
    )


RESULTS_MARK = "<!-- results -->"


def write_results_section(path: Path, table: str, mark: str = RESULTS_MARK) -> None:
    """Replace the section that follows ``mark`` (up to the next results mark or a heading of level
    1 or 2) with ``table``; a table may carry its own ``###`` headings, which go with it."""
    import re

    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if mark not in text:
        text = f"{text.rstrip()}\n\n{mark}\n"
    head, tail = text.split(mark, 1)
    following = re.search(r"^(<!-- [a-z ]*results -->|#{1,2} )", tail, re.MULTILINE)
    rest = "\n" + tail[following.start():] if following else ""
    path.write_text(f"{head}{mark}\n{table}\n{rest}", encoding="utf-8")
