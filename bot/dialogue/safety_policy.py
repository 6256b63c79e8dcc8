"""Rasa policy that puts safety and the handoff state above every learned or ruled behaviour.

* A message flagged as danger (``danger`` in the parse result) always runs ``action_emergency``,
  whatever else is going on: a form, a handoff, a pending confirmation.
* While a conversation is handed over to a person (slot ``handoff`` set), every other message
  goes to ``action_handoff_turn`` (the bot stays quiet) except a request to erase data.
* A bare number while the language menu is open picks a language (``action_change_language``).
* A person writing in a language the bot cannot write (slot ``written_language``) is answered
  by ``action_other_language`` (a counselor is asked to help), unless the line has a translation
  model into it (slot ``machine_translation``): then the conversation goes on as any other, its
  replies machine-translated (``bot.dialogue.nlg``).
* After any of those actions the bot listens.

Its predictions are marked ``is_no_user_prediction`` with full confidence and a priority above
``RulePolicy``, so they win over rules, active loops and TED alike.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language_menu import MENU_OPEN, MENU_SLOT, is_bare_number

ACTION_EMERGENCY = "action_emergency"
ACTION_HANDOFF_TURN = "action_handoff_turn"
ACTION_OTHER_LANGUAGE = "action_other_language"
ACTION_CHANGE_LANGUAGE = "action_change_language"
WRITTEN_LANGUAGE_SLOT = "written_language"
MACHINE_TRANSLATION_SLOT = "machine_translation"
HANDOFF_SLOT = "handoff"
DELETE_PENDING_SLOT = "delete_pending"
# Intents the bot still answers itself while a person is handling the conversation.
HANDOFF_PASS_THROUGH_INTENTS = frozenset({"delete_data"})


def unanswered_user_message(tracker: DialogueStateTracker) -> Optional[UserUttered]:
    """The user message the bot has not acted on yet, if the last thing that happened is one."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return None
    return None


def safety_action(tracker: DialogueStateTracker) -> Optional[str]:
    """The action safety and the handoff state demand next, or None to let other policies decide."""
    if tracker.latest_action_name in (ACTION_EMERGENCY, ACTION_HANDOFF_TURN, ACTION_OTHER_LANGUAGE, ACTION_CHANGE_LANGUAGE):
        return ACTION_LISTEN_NAME
    message = unanswered_user_message(tracker)
    if message is None or tracker.latest_action_name != ACTION_LISTEN_NAME:
        return None
    if message.parse_data.get("danger"):
        return ACTION_EMERGENCY
    if tracker.get_slot(MENU_SLOT) == MENU_OPEN and is_bare_number(message.text or ""):
        return ACTION_CHANGE_LANGUAGE
    passes_through = tracker.get_slot(DELETE_PENDING_SLOT) or (message.intent or {}).get("name") in HANDOFF_PASS_THROUGH_INTENTS
    if tracker.get_slot(HANDOFF_SLOT) and not passes_through:
        return ACTION_HANDOFF_TURN
    if tracker.get_slot(WRITTEN_LANGUAGE_SLOT) and not tracker.get_slot(MACHINE_TRANSLATION_SLOT) and not passes_through:
        return ACTION_OTHER_LANGUAGE
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class SafetyPolicy(Policy):
    """Forces the emergency response and the handoff silence; abstains otherwise."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": 7}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = safety_action(tracker)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
