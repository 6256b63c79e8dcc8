"""Which features win: character/word n-grams alone, the sentence embedding alone, or both.

Trains the same logistic regressions as the model (intent; danger with its threshold learnt by
cross-validation for 98% recall) on ``nlu_data`` with each feature set, and scores them on the
held-out sets: intent accuracy, danger recall and false-positive rate on the hard negatives, per
trained language and for the zero-shot group. Writes the table to ``docs/evaluation.md``.
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation import load_hard_negatives, load_set, load_zero_shot, write_results_section, zero_shot_languages
from bot.nlu import encoder
from bot.nlu.message_model import ModelSettings, TextFeatures, logistic, out_of_fold_scores, recall_threshold
from bot.text import fold

MARK = "<!-- feature comparison results -->"
FEATURE_SETS = ("n-grams only", "embedding only", "both")


def training_examples() -> List[Tuple[str, str, bool]]:
    """(text, intent, danger) of every example in ``nlu_data``."""
    examples = []
    for path in sorted(glob.glob(str(PROJECT_ROOT / "nlu_data" / "*" / "*.yml"))):
        for block in (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in block or not isinstance(block.get("examples"), list):
                continue
            for example in block["examples"]:
                metadata = example.get("metadata") or {}
                danger = bool(metadata.get("danger")) or block["intent"] == "emergency"
                examples.append((example["text"].strip(), block["intent"], danger))
    return examples


class Variant:
    """One feature set's intent and danger models."""

    def __init__(self, kind: str, texts: List[str], embeddings: np.ndarray, intents: List[str], danger: np.ndarray) -> None:
        settings = ModelSettings()
        self.kind = kind
        folded = [fold(text) for text in texts]
        self.features = TextFeatures.fit(folded, settings.dense_weight)
        matrix = self.matrix(texts, embeddings)
        self.intent = logistic(settings).fit(matrix, intents)
        self.danger = logistic(settings).fit(matrix, danger)
        self.threshold = recall_threshold(out_of_fold_scores(matrix, danger, settings), danger, settings.danger_recall, 1.0)

    def matrix(self, texts: List[str], embeddings: np.ndarray) -> Any:
        folded = [fold(text) for text in texts]
        if self.kind == "embedding only":
            return embeddings
        both = self.features.transform(folded, embeddings)
        if self.kind == "both":
            return both
        return both[:, : both.shape[1] - embeddings.shape[1]]

    def score(self, examples: List[Dict], negatives: List[Dict]) -> Dict[str, float]:
        texts = [e["text"] for e in examples]
        matrix = self.matrix(texts, encoder.embed(texts))
        intents = self.intent.predict(matrix)
        danger = self.danger.predict_proba(matrix)[:, 1] >= self.threshold
        gold = np.array([bool(e["danger"]) for e in examples])
        if negatives:
            negative_texts = [e["text"] for e in negatives]
            false_alarms = self.danger.predict_proba(self.matrix(negative_texts, encoder.embed(negative_texts)))[:, 1] >= self.threshold
        else:
            false_alarms = danger[~gold]
        return {
            "intent": float(np.mean([p == e["intent"] for p, e in zip(intents, examples)])),
            "recall": float(danger[gold].mean()) if gold.any() else 1.0,
            "fpr": float(false_alarms.mean()) if len(false_alarms) else 0.0,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "docs" / "evaluation.md")
    args = parser.parse_args()
    examples = training_examples()
    texts = [text for text, _, _ in examples]
    embeddings = encoder.embed(texts)
    intents = [intent for _, intent, _ in examples]
    danger = np.array([d for _, _, d in examples], dtype=int)
    groups = {language: (load_set(language), load_hard_negatives(language)) for language in ("en", "es")}
    groups["zero-shot"] = ([e for code in zero_shot_languages() for e in load_zero_shot(code)], [])
    rows = []
    for kind in FEATURE_SETS:
        variant = Variant(kind, texts, embeddings, intents, danger)
        for group, (held_out, negatives) in groups.items():
            result = variant.score(held_out, negatives)
            rows.append(f"| {kind} | {group} | {result['intent']:.3f} | {result['recall']:.3f} | {result['fpr']:.3f} |")
            print(rows[-1], flush=True)
    table = "\n".join(
        ["| features | group | intent accuracy | danger recall | danger false-positive rate |", "|---|---|---|---|---|", *rows]
    )
    write_results_section(args.output, table, mark=MARK)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
