"""The learnt part of indicator and danger detection, free of Rasa: features, models, thresholds.

Features of one message: character n-grams (2-5, inside words) and word n-grams (1-2) of the
folded text, beside its multilingual sentence embedding (``bot.nlu.encoder``). Models, each a
logistic regression:

* ``indicators``: one-vs-rest over the 11 ILO keys, on all features;
* ``danger``: immediate danger, on all features, for messages in a language with training data;
* ``danger_any_language``: immediate danger on the embedding alone, for messages in any other
  language, where the n-grams learnt from the trained languages say nothing.

Each danger model has two thresholds learnt by cross-validation on the training data only (never
on a test set): ``danger`` is the highest score that still finds ``danger_recall`` of the danger
examples out of fold, ``concern`` the one that finds ``concern_recall`` of them. Between the two a
message is a concern: raised for a counselor's attention without the emergency script.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from bot.text import word_tokens

DANGER = "danger"


@dataclass(frozen=True)
class ModelSettings:
    """How the models are trained (the component's configuration)."""

    random_seed: int = 42
    # Chosen by 5-fold cross-validation on the training data: the lowest out-of-fold false-positive
    # rate at 98% danger recall (C 1-64 x embedding weight 0.5-3; docs/evaluation.md).
    c: float = 16.0
    dense_weight: float = 2.0
    danger_recall: float = 0.98
    concern_recall: float = 0.995
    folds: int = 5
    # Worker processes for the independent fits (cross-validation folds, one-vs-rest indicators);
    # 0 means one per CPU. The models are the same whatever the number (up to float rounding).
    training_jobs: int = 0
    # Cross-validated thresholds are never set above these: a danger example the training data
    # does not resemble must still be found.
    danger_threshold_cap: float = 0.5
    concern_threshold_cap: float = 0.25


@dataclass
class Thresholds:
    danger: float
    concern: float


@dataclass
class TextFeatures:
    """Character and word n-grams (tf-idf) of folded texts beside their weighted embeddings."""

    chars: Any
    words: Any
    dense_weight: float

    @classmethod
    def fit(cls, folded: Sequence[str], dense_weight: float) -> "TextFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, tokenizer=word_tokens, token_pattern=None, lowercase=False
        )
        chars.fit(folded)
        words.fit(folded)
        return cls(chars=chars, words=words, dense_weight=dense_weight)

    @property
    def n_char_features(self) -> int:
        return len(self.chars.vocabulary_)

    def transform(self, folded: Sequence[str], embeddings: np.ndarray) -> Any:
        from scipy.sparse import csr_matrix, hstack

        return hstack(
            [self.chars.transform(folded), self.words.transform(folded), csr_matrix(embeddings * self.dense_weight)]
        ).tocsr()


@dataclass
class MessageModel:
    """Everything :func:`train` learnt; pickled into the Rasa model by the component."""

    text_features: TextFeatures
    indicator_labels: List[str]
    indicators: Any
    danger: Any
    danger_any_language: Any
    thresholds: Dict[str, Thresholds] = field(default_factory=dict)

    @property
    def words(self) -> Any:
        return self.text_features.words

    @property
    def n_char_features(self) -> int:
        return self.text_features.n_char_features

    def features(self, folded: Sequence[str], embeddings: np.ndarray) -> Any:
        return self.text_features.transform(folded, embeddings)

    def indicator_probabilities(self, features: Any) -> np.ndarray:
        if self.indicators is None:
            return np.zeros((features.shape[0], 0))
        return self.indicators.predict_proba(features)

    def danger_scores(self, features: Any, embeddings: np.ndarray, in_trained_language: Sequence[bool]) -> np.ndarray:
        """Danger probability of each message, by the model that fits its language."""
        scores = np.zeros(len(in_trained_language))
        trained = np.asarray(in_trained_language, dtype=bool)
        if trained.any() and self.danger is not None:
            scores[trained] = self.danger.predict_proba(features[trained])[:, 1]
        if (~trained).any() and self.danger_any_language is not None:
            scores[~trained] = self.danger_any_language.predict_proba(embeddings[~trained])[:, 1]
        return scores

    def thresholds_for(self, in_trained_language: bool) -> Thresholds:
        return self.thresholds["trained" if in_trained_language else "any_language"]


def logistic(settings: ModelSettings) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=settings.c, class_weight="balanced", max_iter=3000, random_state=settings.random_seed)


def jobs_for(settings: ModelSettings) -> int:
    """How many worker processes the independent fits use."""
    return settings.training_jobs if settings.training_jobs > 0 else max(1, os.cpu_count() or 1)


def _fitted(model: Any, features: Any, labels: Any) -> Any:
    return model.fit(features, labels)


def fit_all(tasks: Sequence[Tuple[Any, Any, Any]], jobs: int) -> List[Any]:
    """Fit each ``(model, features, labels)``, in ``jobs`` processes; the models in the same order.

    Training is the longest step of ``rasa train`` as languages are added, and these fits do not
    depend on each other, so they share the machine's cores.
    """
    if jobs <= 1 or len(tasks) <= 1:
        return [_fitted(*task) for task in tasks]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=min(jobs, len(tasks)))(delayed(_fitted)(*task) for task in tasks))


def recall_threshold(scores: np.ndarray, positive: np.ndarray, recall: float, cap: float) -> float:
    """The highest threshold at which ``scores`` still find ``recall`` of the positives (capped)."""
    positives = np.sort(scores[positive.astype(bool)])
    if not len(positives):
        return cap
    allowed_misses = int(np.floor(len(positives) * (1 - recall) + 1e-9))
    return float(min(positives[allowed_misses], cap))


def out_of_fold_tasks(features: Any, labels: np.ndarray, settings: ModelSettings) -> List[Tuple[Any, Any, Any, Any]]:
    """One ``(model, train features, train labels, held-out index)`` per cross-validation fold."""
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=settings.random_seed)
    return [
        (logistic(settings), features[train_index], labels[train_index], test_index)
        for train_index, test_index in folds.split(np.zeros(len(labels)), labels)
    ]


def out_of_fold_scores(features: Any, labels: np.ndarray, settings: ModelSettings) -> np.ndarray:
    """Each training example's danger score from a model that did not see it."""
    tasks = out_of_fold_tasks(features, labels, settings)
    fitted = fit_all([task[:3] for task in tasks], jobs_for(settings))
    return _scores_of(fitted, tasks, features, len(labels))


def _scores_of(fitted: Sequence[Any], tasks: Sequence[Tuple[Any, Any, Any, Any]], features: Any, count: int) -> np.ndarray:
    scores = np.zeros(count)
    for model, task in zip(fitted, tasks):
        held_out = task[3]
        scores[held_out] = model.predict_proba(features[held_out])[:, 1]
    return scores


def _thresholds(scores: np.ndarray, danger: np.ndarray, settings: ModelSettings) -> Thresholds:
    return Thresholds(
        danger=recall_threshold(scores, danger, settings.danger_recall, settings.danger_threshold_cap),
        concern=recall_threshold(scores, danger, settings.concern_recall, settings.concern_threshold_cap),
    )


def train(
    folded: Sequence[str],
    embeddings: np.ndarray,
    indicator_rows: Sequence[Sequence[str]],
    danger: Sequence[bool],
    indicator_keys: Sequence[str],
    settings: ModelSettings = ModelSettings(),
) -> MessageModel:
    """Fit the feature extractors, the three models and their thresholds."""
    from sklearn.multiclass import OneVsRestClassifier

    model = MessageModel(
        text_features=TextFeatures.fit(folded, settings.dense_weight),
        indicator_labels=[],
        indicators=None,
        danger=None,
        danger_any_language=None,
    )
    features = model.features(folded, embeddings)
    jobs = jobs_for(settings)

    targets = np.array([[1 if key in row else 0 for key in indicator_keys] for row in indicator_rows])
    present = [i for i, key in enumerate(indicator_keys) if 0 < targets[:, i].sum() < len(targets)]
    if present:
        model.indicator_labels = [indicator_keys[i] for i in present]
        model.indicators = OneVsRestClassifier(logistic(settings), n_jobs=jobs).fit(features, targets[:, present])

    danger_labels = np.asarray(danger, dtype=int)
    if 0 < danger_labels.sum() < len(danger_labels):
        # Both danger models and every cross-validation fold of each, fitted side by side.
        folds_all = out_of_fold_tasks(features, danger_labels, settings)
        folds_embedding = out_of_fold_tasks(embeddings, danger_labels, settings)
        fitted = fit_all(
            [(logistic(settings), features, danger_labels), (logistic(settings), embeddings, danger_labels)]
            + [task[:3] for task in folds_all + folds_embedding],
            jobs,
        )
        model.danger, model.danger_any_language = fitted[0], fitted[1]
        fitted_all, fitted_embedding = fitted[2 : 2 + len(folds_all)], fitted[2 + len(folds_all) :]
        model.thresholds = {
            "trained": _thresholds(_scores_of(fitted_all, folds_all, features, len(danger_labels)), danger_labels, settings),
            "any_language": _thresholds(
                _scores_of(fitted_embedding, folds_embedding, embeddings, len(danger_labels)), danger_labels, settings
            ),
        }
    return model
