"""Rasa NLU component: whole-message SMS keywords (HELP, AYUDA, MORE, RIGHTS...) win.

The bot tells people to reply with single words; when a message is exactly one of those words
the intent is certain, so this component sets it with confidence 1.0 (also over
``nlu_fallback``). The keyword list is data: ``bot/nlu/commands.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text import fold

COMMANDS_FILE = Path(__file__).resolve().parent / "commands.yml"
_NOT_WORD = re.compile(r"[^\w ]+", re.UNICODE)


def load_commands(path: Path = COMMANDS_FILE) -> Dict[str, str]:
    """Folded keyword -> intent, from the commands file."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {fold(str(word)).strip(): intent for intent, words in data.items() for word in words}


def command_intent(text: str, commands: Dict[str, str]) -> Optional[str]:
    """The intent of a message that is exactly one keyword, else None."""
    normalised = " ".join(_NOT_WORD.sub(" ", fold(text)).split())
    return commands.get(normalised)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KeywordCommands(GraphComponent):
    """Sets the intent of single-keyword messages with full confidence."""

    def __init__(self, commands: Dict[str, str]) -> None:
        self._commands = commands

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KeywordCommands":
        return cls(load_commands())

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = command_intent(message.get(TEXT) or "", self._commands)
            if intent:
                message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
                message.set("command", intent, add_to_output=True)
        return messages
