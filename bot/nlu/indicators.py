"""Rasa NLU component: trafficking indicators (multi-label, with evidence), danger and concern.

The learnt models live in :mod:`bot.nlu.message_model` (n-grams beside the multilingual sentence
embedding); this component feeds them from Rasa's training data (the per-example ``metadata``:
``indicators: [...]``, ``danger: true``; every ``emergency`` example counts as danger) and adds
their verdicts to each parse result:

* ``indicators``: an indicator is reported when the classifier or a cue of ``bot/nlu/lexicon.py``
  supports it (noisy-or of the two); its ``evidence`` is the cue, else the word n-gram that
  weighed most.
* ``danger``: immediate danger, decided by the danger model alone (with the threshold learnt by
  cross-validation for recall first). A message in a language the model has no training data
  for is judged by the embedding-only model.
* ``concern``: not danger, but worth a counselor's attention: the danger score is above the
  lower (concern) threshold, or a danger cue matched. Cues raise a message; they no longer decide.

The intent follows the danger verdict: a message the danger model clears is not left with the
``emergency`` intent (it takes the next intent of the ranking), so the emergency script and the
top queue priority are only ever the danger model's decision.

Output keys in the parse result: ``indicators``, ``danger``, ``danger_score``, ``danger_evidence``
(what weighed most for danger or a concern), ``danger_words`` (up to three such words or phrases,
strongest first: a danger cue, then the learnt n-grams), ``concern``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import LanguageIdentifier, recognised_languages
from bot.nlu import encoder
from bot.nlu.lexicon import DANGER, CueLexicon
from bot.nlu.message_model import MessageModel, ModelSettings, train
from bot.nlu.sentence_featurizer import sentence_embedding
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
MIN_EVIDENCE_SHARE = 0.4  # a further word or phrase is shown when it weighs this share of the strongest
MAX_DANGER_WORDS = 3
MIN_DANGER_WORD_LETTERS = 3  # "gun", "faca": short words can be what raised danger  # what weighed most for danger, shown to the counselor in the queue
# A language counts as trained when at least this many training examples are written in it.
MIN_EXAMPLES_PER_TRAINED_LANGUAGE = 100


def example_labels(message: Message) -> Tuple[List[str], bool]:
    """Indicator keys and the danger flag annotated on one training example."""
    metadata = (message.get("metadata") or {}).get("example") or {}
    indicators = [key for key in (metadata.get("indicators") or []) if key in INDICATOR_KEYS]
    unknown = [key for key in (metadata.get("indicators") or []) if key not in INDICATOR_KEYS]
    if unknown:
        logger.warning("Ignoring unknown indicator keys in training data: %s", unknown)
    danger = bool(metadata.get("danger")) or message.get(INTENT) == EMERGENCY_INTENT
    return indicators, danger


def embeddings_of(messages: Sequence[Message]) -> np.ndarray:
    """The sentence embedding of each message: the featurizer's, else computed here."""
    found: List[Optional[np.ndarray]] = [sentence_embedding(message) for message in messages]
    missing = [index for index, vector in enumerate(found) if vector is None]
    if missing:
        computed = encoder.embed([messages[index].get(TEXT) or "" for index in missing])
        for index, vector in zip(missing, computed):
            found[index] = vector
    if not found:
        return np.zeros((0, encoder.DIMENSIONS), dtype=np.float32)
    return np.vstack([vector for vector in found if vector is not None]).astype(np.float32)


def trained_languages_of(examples: Sequence[Message], languages: Optional[Sequence[str]] = None) -> List[str]:
    """Languages with at least ``MIN_EXAMPLES_PER_TRAINED_LANGUAGE`` training examples."""
    identifier = LanguageIdentifier(tuple(languages or recognised_languages()))
    counts = Counter(identifier.detect(example.get(TEXT) or "").language for example in examples)
    return sorted(code for code, count in counts.items() if count >= MIN_EXAMPLES_PER_TRAINED_LANGUAGE)


def relabel_cleared_emergency(message: Message) -> None:
    """Give a message the danger model cleared the best intent of its ranking other than emergency."""
    intent = message.get(INTENT) or {}
    if intent.get(INTENT_NAME_KEY) != EMERGENCY_INTENT:
        return
    for entry in message.get("intent_ranking") or []:
        name = entry.get(INTENT_NAME_KEY)
        if name and name not in (EMERGENCY_INTENT, "nlu_fallback"):
            message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: entry.get(PREDICTED_CONFIDENCE_KEY, 0.0)}, add_to_output=True)
            return


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IndicatorDetector(GraphComponent):
    """Detects the 11 ILO indicators, immediate danger and concern in a message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        defaults = ModelSettings()
        return {
            "random_seed": defaults.random_seed,
            "C": defaults.c,
            "dense_weight": defaults.dense_weight,
            "danger_recall": defaults.danger_recall,
            "concern_recall": defaults.concern_recall,
            "danger_threshold_cap": defaults.danger_threshold_cap,
            "concern_threshold_cap": defaults.concern_threshold_cap,
            "cross_validation_folds": defaults.folds,
            # Chosen by 5-fold cross-validation on the training data (best micro-F1, 0.4-0.8).
            "indicator_threshold": 0.6,
            "cue_weight": 0.75,
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
        self._model: Optional[MessageModel] = (model or {}).get("model")
        self._trained_languages = frozenset((model or {}).get("trained_languages") or ())
        self._vocabulary: Optional[np.ndarray] = None
        languages = config.get("languages") or recognised_languages()
        self._lexicon = CueLexicon(languages)
        self._languages = tuple(languages)

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

    def _settings(self) -> ModelSettings:
        config = self._config
        return ModelSettings(
            random_seed=int(config["random_seed"]),
            c=float(config["C"]),
            dense_weight=float(config["dense_weight"]),
            danger_recall=float(config["danger_recall"]),
            concern_recall=float(config["concern_recall"]),
            danger_threshold_cap=float(config["danger_threshold_cap"]),
            concern_threshold_cap=float(config["concern_threshold_cap"]),
            folds=int(config["cross_validation_folds"]),
        )

    # ---------------------------------------------------------------- training
    def train(self, training_data: TrainingData) -> Resource:
        import joblib

        examples = [example for example in training_data.intent_examples if example.get(TEXT)]
        if not examples:
            logger.warning("No training examples; only cues will be used.")
            return self._resource
        labels = [example_labels(example) for example in examples]
        trained_languages = trained_languages_of(examples, self._languages)
        model = train(
            [fold(example.get(TEXT)) for example in examples],
            embeddings_of(examples),
            [indicators for indicators, _ in labels],
            [danger for _, danger in labels],
            INDICATOR_KEYS,
            self._settings(),
        )
        for name, thresholds in model.thresholds.items():
            logger.info("Learnt %s thresholds: danger %.3f, concern %.3f", name, thresholds.danger, thresholds.concern)
        self._model = model
        self._trained_languages = frozenset(trained_languages)
        with self._storage.write_to(self._resource) as directory:
            joblib.dump({"model": model, "trained_languages": trained_languages}, directory / MODEL_FILE)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    # --------------------------------------------------------------- inference
    def _word_vocabulary(self) -> np.ndarray:
        if self._vocabulary is None and self._model is not None:
            self._vocabulary = self._model.words.get_feature_names_out()
        return self._vocabulary if self._vocabulary is not None else np.array([])

    def _word_evidence(self, text: str, folded: str, label: str, limit: int = 1, min_letters: int = MIN_EVIDENCE_LETTERS) -> List[str]:
        """The word n-grams of the message that most support ``label``, as written, strongest
        first (at most ``limit``; one never inside another)."""
        model = self._model
        if model is None:
            return []
        if label == DANGER:
            estimator = model.danger
        elif label in model.indicator_labels and model.indicators is not None:
            estimator = model.indicators.estimators_[model.indicator_labels.index(label)]
        else:
            return []
        coefficients = getattr(estimator, "coef_", None)
        if coefficients is None:
            return []
        word_vector = model.words.transform([folded])
        offset = model.n_char_features
        vocabulary = self._word_vocabulary()
        weighed: List[Tuple[float, str]] = []
        for column, value in zip(word_vector.indices, word_vector.data):
            if len(vocabulary[column].replace(" ", "")) < min_letters:
                continue  # "me", "el", "they": not evidence a counselor can use
            weight = coefficients[0][offset + column] * value
            if weight > 0:
                weighed.append((weight, vocabulary[column]))
        chosen: List[str] = []
        ranked = sorted(weighed, reverse=True)
        for weight, gram in ranked:
            if weight < ranked[0][0] * MIN_EVIDENCE_SHARE:
                break  # "he has", "in the": along for the ride, not what raised it
            if any(gram in other or other in gram for other in chosen):
                continue
            chosen.append(gram)
            if len(chosen) == limit:
                break
        return [self._as_written(text, folded, gram) for gram in chosen]

    @staticmethod
    def _as_written(text: str, folded: str, gram: str) -> str:
        pattern = r"\W+".join(re.escape(part) for part in gram.split())
        found = re.search(r"(?<!\w)" + pattern + r"(?!\w)", folded)
        return text[found.start() : found.end()] if found else gram

    def analyse_batch(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        languages: Sequence[Optional[str]],
        typed_commands: Sequence[bool],
    ) -> List[Dict[str, Any]]:
        """Indicators, danger and concern for each message (the values this component adds).

        For a typed keyword (HELP, AYUDA) the intent is certain and the model's danger score says
        nothing about it: it is neither danger nor concern unless a danger cue says so (concern).
        """
        folded = [fold(text) for text in texts]
        in_trained = [language in self._trained_languages for language in languages]
        model = self._model
        if model is not None and texts:
            features = model.features(folded, embeddings)
            probabilities = model.indicator_probabilities(features)
            danger_scores = model.danger_scores(features, embeddings, in_trained)
        else:
            probabilities = np.zeros((len(texts), 0))
            danger_scores = np.zeros(len(texts))
        return [
            self._verdict(text, folded[index], dict(zip(model.indicator_labels, probabilities[index])) if model else {},
                          float(danger_scores[index]), in_trained[index], typed_commands[index])
            for index, text in enumerate(texts)
        ]

    def _verdict(
        self, text: str, folded: str, probabilities: Dict[str, float], danger_score: float, in_trained: bool, typed: bool
    ) -> Dict[str, Any]:
        cues: Dict[str, Tuple[int, int]] = {}
        for hit in self._lexicon.matches(text):
            if hit.label not in cues or (hit.end - hit.start) > (cues[hit.label][1] - cues[hit.label][0]):
                cues[hit.label] = (hit.start, hit.end)

        indicators: List[Dict[str, Any]] = []
        cue_weight = float(self._config["cue_weight"])
        for key in INDICATOR_KEYS:
            probability = float(probabilities.get(key, 0.0))
            confidence = 1 - (1 - probability) * (1 - (cue_weight if key in cues else 0.0))
            if confidence < self._config["indicator_threshold"]:
                continue
            evidence = text[cues[key][0] : cues[key][1]] if key in cues else "".join(self._word_evidence(text, folded, key))
            indicators.append({"key": key, "confidence": round(confidence, 4), "evidence": evidence})
        indicators.sort(key=lambda item: item["confidence"], reverse=True)

        if typed or self._model is None or not self._model.thresholds:
            danger_score = 0.0
            danger = False
            concern = DANGER in cues
        else:
            thresholds = self._model.thresholds_for(in_trained)
            danger = danger_score >= thresholds.danger
            concern = not danger and (danger_score >= thresholds.concern or DANGER in cues)
        words: List[str] = []
        if danger or concern:
            cue = [text[cues[DANGER][0] : cues[DANGER][1]]] if DANGER in cues else []
            learnt = self._word_evidence(text, folded, DANGER, MAX_DANGER_WORDS, MIN_DANGER_WORD_LETTERS)
            words = (cue + [gram for gram in learnt if not cue or (gram not in cue[0] and cue[0] not in gram)])[:MAX_DANGER_WORDS]
        evidence = words[0] if words else ""
        return {
            "indicators": indicators,
            "danger": bool(danger),
            "danger_score": round(float(danger_score), 4),
            "danger_evidence": evidence,
            "danger_words": words,
            "concern": bool(concern),
        }

    def process(self, messages: List[Message]) -> List[Message]:
        if not messages:
            return messages
        results = self.analyse_batch(
            [message.get(TEXT) or "" for message in messages],
            embeddings_of(messages),
            [message.get("language") for message in messages],
            [bool(message.get("command")) for message in messages],
        )
        for message, result in zip(messages, results):
            for key, value in result.items():
                message.set(key, value, add_to_output=True)
            if not result["danger"]:
                relabel_cleared_emergency(message)
        return messages
