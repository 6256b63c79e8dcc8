"""Rasa NLU component: trafficking indicators (multi-label, with evidence) and the danger flag.

A one-vs-rest logistic regression over character and word n-grams, trained on the per-example
``metadata`` of the NLU data (``indicators: [...]``, ``danger: true``; every ``emergency``
example counts as danger), is combined with the cue lexicons of ``bot/nlu/lexicon.py``:

* an indicator is reported when the classifier or a cue supports it (noisy-or of the two);
  its ``evidence`` is the matched cue, else the word n-gram that weighed most;
* ``danger`` is tuned for recall: a danger cue, the danger classifier, or the intent
  classifier's ``emergency`` score, any one of them is enough.

Output keys in the parse result: ``indicators``, ``danger``, ``danger_score``, ``danger_evidence``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import load_settings
from bot.nlu.lexicon import DANGER, CueLexicon
from bot.text import fold

logger = logging.getLogger(__name__)

INDICATOR_KEYS = (
    "abuse_of_vulnerability",
    "deception",
    "restriction_of_movement",
    "isolation",
    "physical_sexual_violence",
    "intimidation_threats",
    "retention_of_documents",
    "withholding_wages",
    "debt_bondage",
    "abusive_conditions",
    "excessive_overtime",
)
EMERGENCY_INTENT = "emergency"
MODEL_FILE = "indicator_model.joblib"
MIN_EVIDENCE_LETTERS = 5


def example_labels(message: Message) -> Tuple[List[str], bool]:
    """Indicator keys and the danger flag annotated on one training example."""
    metadata = (message.get("metadata") or {}).get("example") or {}
    indicators = [key for key in (metadata.get("indicators") or []) if key in INDICATOR_KEYS]
    unknown = [key for key in (metadata.get("indicators") or []) if key not in INDICATOR_KEYS]
    if unknown:
        logger.warning("Ignoring unknown indicator keys in training data: %s", unknown)
    danger = bool(metadata.get("danger")) or message.get(INTENT) == EMERGENCY_INTENT
    return indicators, danger


def intent_score(message: Message, intent: str) -> float:
    """Confidence the intent classifier gave ``intent`` (from the ranking, else the top intent)."""
    for entry in message.get("intent_ranking") or []:
        if entry.get(INTENT_NAME_KEY) == intent:
            return float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    top = message.get(INTENT) or {}
    if top.get(INTENT_NAME_KEY) == intent:
        return float(top.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    return 0.0


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IndicatorDetector(GraphComponent):
    """Detects the 11 ILO indicators and immediate danger in a message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "random_seed": 42,
            "C": 4.0,
            "indicator_threshold": 0.5,
            "cue_weight": 0.75,
            # The danger threshold is learned: the highest one that still finds this share of the
            # danger examples in cross-validation on the training data (never the test set).
            "danger_target_recall": 0.97,
            "danger_threshold_cap": 0.35,
            "cross_validation_folds": 5,
            "emergency_intent_threshold": 0.25,
            "languages": None,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model
        self._lexicon = CueLexicon(config.get("languages") or load_settings().languages)

    @property
    def _danger_threshold(self) -> float:
        return float((self._model or {}).get("danger_threshold", self._config["danger_threshold_cap"]))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IndicatorDetector":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "IndicatorDetector":
        import joblib

        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("No trained indicator model found; only cue lexicons will be used.")
        return cls(config, model_storage, resource, model)

    # ---------------------------------------------------------------- training
    def train(self, training_data: TrainingData) -> Resource:
        import joblib
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        texts, rows = [], []
        labels = list(INDICATOR_KEYS) + [DANGER]
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            if not text:
                continue
            indicators, danger = example_labels(example)
            texts.append(fold(text))
            rows.append([1 if key in indicators else 0 for key in INDICATOR_KEYS] + [1 if danger else 0])
        targets = np.array(rows)
        present = [i for i, label in enumerate(labels) if 0 < targets[:, i].sum() < len(targets)]
        if not present:
            logger.warning("No indicator annotations in the training data; only cues will be used.")
            return self._resource

        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        word_vectors = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        features = hstack([chars.fit_transform(texts), word_vectors.fit_transform(texts)]).tocsr()
        classifier = OneVsRestClassifier(
            LogisticRegression(
                C=self._config["C"],
                class_weight="balanced",
                max_iter=2000,
                random_state=self._config["random_seed"],
            )
        )
        classifier.fit(features, targets[:, present])
        danger_index = labels.index(DANGER)
        danger_threshold = self._config["danger_threshold_cap"]
        if danger_index in present:
            danger_threshold = self._recall_threshold(features, targets[:, danger_index])
        logger.info("Danger threshold learned by cross-validation: %.3f", danger_threshold)
        self._model = {
            "chars": chars,
            "words": word_vectors,
            "classifier": classifier,
            "labels": [labels[i] for i in present],
            "n_char_features": len(chars.vocabulary_),
            "danger_threshold": danger_threshold,
        }
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / MODEL_FILE)
        return self._resource

    def _recall_threshold(self, features: Any, danger: np.ndarray) -> float:
        """Highest threshold whose out-of-fold danger recall reaches the target (capped)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(
            n_splits=self._config["cross_validation_folds"], shuffle=True, random_state=self._config["random_seed"]
        )
        out_of_fold = np.zeros(len(danger))
        for train_index, test_index in folds.split(features, danger):
            model = LogisticRegression(
                C=self._config["C"], class_weight="balanced", max_iter=2000, random_state=self._config["random_seed"]
            )
            model.fit(features[train_index], danger[train_index])
            out_of_fold[test_index] = model.predict_proba(features[test_index])[:, 1]
        positives = np.sort(out_of_fold[danger == 1])
        allowed_misses = int(np.floor(len(positives) * (1 - self._config["danger_target_recall"])))
        threshold = float(positives[allowed_misses]) if len(positives) else self._config["danger_threshold_cap"]
        return min(threshold, self._config["danger_threshold_cap"])

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # --------------------------------------------------------------- inference
    def _probabilities(self, folded: str) -> Dict[str, float]:
        if not self._model:
            return {}
        from scipy.sparse import hstack

        features = hstack(
            [self._model["chars"].transform([folded]), self._model["words"].transform([folded])]
        ).tocsr()
        probabilities = self._model["classifier"].predict_proba(features)[0]
        return dict(zip(self._model["labels"], (float(p) for p in probabilities)))

    def _word_evidence(self, text: str, folded: str, label: str) -> str:
        """The word n-gram of the message that most supports ``label``, as written."""
        model = self._model
        if not model or label not in model["labels"]:
            return ""
        estimator = model["classifier"].estimators_[model["labels"].index(label)]
        coefficients = getattr(estimator, "coef_", None)
        if coefficients is None:
            return ""
        word_vector = model["words"].transform([folded])
        offset = model["n_char_features"]
        best, best_weight = "", 0.0
        vocabulary = model["words"].get_feature_names_out()
        for column, value in zip(word_vector.indices, word_vector.data):
            weight = coefficients[0][offset + column] * value
            if len(vocabulary[column].replace(" ", "")) < MIN_EVIDENCE_LETTERS:
                continue  # "me", "el", "they": not evidence a counselor can use
            if weight > best_weight:
                best, best_weight = vocabulary[column], weight
        if not best:
            return ""
        pattern = r"\W+".join(re.escape(part) for part in best.split())
        found = re.search(r"(?<!\w)" + pattern + r"(?!\w)", folded)
        return text[found.start() : found.end()] if found else best

    def analyse(self, text: str, emergency_score: float = 0.0, typed_command: bool = False) -> Dict[str, Any]:
        """Indicators and danger for one message (the values this component adds).

        For a typed keyword (HELP, AYUDA) the intent is certain and the classifiers' danger scores
        say nothing about it: only a danger cue counts.
        """
        folded = fold(text)
        probabilities = self._probabilities(folded)
        cues: Dict[str, Tuple[int, int]] = {}
        for hit in self._lexicon.matches(text):
            if hit.label not in cues or (hit.end - hit.start) > (cues[hit.label][1] - cues[hit.label][0]):
                cues[hit.label] = (hit.start, hit.end)

        indicators = []
        cue_weight = float(self._config["cue_weight"])
        for key in INDICATOR_KEYS:
            probability = probabilities.get(key, 0.0)
            confidence = 1 - (1 - probability) * (1 - (cue_weight if key in cues else 0.0))
            if confidence < self._config["indicator_threshold"]:
                continue
            evidence = text[cues[key][0] : cues[key][1]] if key in cues else self._word_evidence(text, folded, key)
            indicators.append({"key": key, "confidence": round(confidence, 4), "evidence": evidence})
        indicators.sort(key=lambda item: item["confidence"], reverse=True)

        danger_probability = 0.0 if typed_command else probabilities.get(DANGER, 0.0)
        if typed_command:
            emergency_score = 0.0
        danger_score = max(
            danger_probability,
            emergency_score,
            cue_weight if DANGER in cues else 0.0,
        )
        danger = (
            DANGER in cues
            or danger_probability >= self._danger_threshold
            or emergency_score >= self._config["emergency_intent_threshold"]
        )
        if DANGER in cues:
            danger_evidence = text[cues[DANGER][0] : cues[DANGER][1]]
        elif danger:
            danger_evidence = self._word_evidence(text, folded, DANGER)
        else:
            danger_evidence = ""
        return {
            "indicators": indicators,
            "danger": bool(danger),
            "danger_score": round(float(danger_score), 4),
            "danger_evidence": danger_evidence,
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            result = self.analyse(
                message.get(TEXT) or "",
                emergency_score=intent_score(message, EMERGENCY_INTENT),
                typed_command=bool(message.get("command")),
            )
            for key, value in result.items():
                message.set(key, value, add_to_output=True)
        return messages
