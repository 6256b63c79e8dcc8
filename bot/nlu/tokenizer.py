"""Rasa NLU component: whitespace tokens, and one token per character for scripts without spaces.

Thai, Lao, Burmese, Khmer, Chinese and Japanese do not put spaces between words, so Rasa's
``WhitespaceTokenizer`` makes one token of a whole sentence and the word features learn nothing.
A dictionary segmenter for each would need data spaCy does not ship (pythainlp, jieba, ...);
characters are what spaCy's own Chinese tokenizer uses by default, and with the character
n-gram and sentence-encoder features beside them they carry the meaning. Latin, Cyrillic,
Arabic, Devanagari and the other spaced scripts are split on spaces exactly as before.

These are the tokens Rasa's pipeline sees; the word n-grams of ``bot.nlu.message_model`` cut text
the same way through ``bot.text.word_tokens`` (both use ``bot.text.character_pieces``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.text import character_pieces, is_unspaced


def split_unspaced(token: Token) -> List[Token]:
    """``token`` cut into single characters (with their marks) where its script has no spaces."""
    if not any(is_unspaced(char) for char in token.text):
        return [token]
    return [Token(token.text[start:end], token.start + start) for start, end in character_pieces(token.text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptAwareTokenizer(WhitespaceTokenizer):
    """``WhitespaceTokenizer`` that cuts Thai, Lao, Burmese, Khmer and CJK text into characters."""

    @staticmethod
    def not_supported_languages() -> Optional[List[Text]]:
        return None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ScriptAwareTokenizer":
        return cls(config)

    def remove_emoji(self, text: Text) -> Text:
        # Rasa's emoji pattern spans U+24C2-U+1F251, which includes every CJK ideograph.
        if any(is_unspaced(char) for char in text):
            return text
        return super().remove_emoji(text)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens: List[Token] = []
        for token in super().tokenize(message, attribute):
            tokens.extend(split_unspaced(token))
        return tokens
