"""Thresholds of the danger model, learnt from the training data only."""

from __future__ import annotations


def test_every_language_with_enough_emergencies_gets_the_recall_not_only_all_of_them_together() -> None:
    """Forty English emergencies scored high and forty Bulgarian ones scored lower: 98% over all
    could miss most Bulgarian ones; the threshold must find 98% of each."""
    import numpy as np

    from bot.nlu.message_model import group_recall_threshold, recall_threshold

    scores = np.array([0.9] * 40 + [0.3] * 39 + [0.1] + [0.05] * 20)
    positive = np.array([1] * 80 + [0] * 20)
    groups = ["en"] * 40 + ["bg"] * 40 + ["en"] * 20
    overall = recall_threshold(scores, positive, 0.98, 0.5)
    per_language = group_recall_threshold(scores, positive, groups, 0.98, 0.5, min_positives=30)
    assert overall == 0.3  # one of 80 may be missed: the 0.1
    assert per_language == 0.1  # one of 40 Bulgarian ones may not
    assert group_recall_threshold(scores, positive, groups, 0.98, 0.5, min_positives=50) == overall
