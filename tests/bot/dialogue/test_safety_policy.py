"""The safety policy wins over everything: danger -> emergency; waiting for a person -> quiet."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import PROJECT_ROOT
from bot.dialogue.safety_policy import safety_action

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


def conversation(intent: str, danger: bool = False, slots: Optional[Dict[str, Any]] = None, after: List = ()) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen")]
    events += [SlotSet(name, value) for name, value in (slots or {}).items()]
    events.append(UserUttered("text", {"name": intent, "confidence": 0.9}, parse_data={"intent": {"name": intent}, "danger": danger}))
    events += list(after)
    return DialogueStateTracker.from_events("c", events, slots=DOMAIN.slots)


def test_danger_always_gets_the_emergency_action() -> None:
    assert safety_action(conversation("report_situation", danger=True)) == "action_emergency"
    assert safety_action(conversation("greet", danger=True, slots={"handoff": "queued"})) == "action_emergency"
    assert safety_action(conversation("affirm", danger=True, slots={"delete_pending": True})) == "action_emergency"


def test_while_waiting_for_a_person_the_bot_stays_quiet_except_for_erasure() -> None:
    assert safety_action(conversation("greet", slots={"handoff": "queued"})) == "action_handoff_turn"
    assert safety_action(conversation("delete_data", slots={"handoff": "queued"})) is None
    assert safety_action(conversation("affirm", slots={"handoff": "queued", "delete_pending": True})) is None


def test_other_messages_are_left_to_the_other_policies_and_the_bot_listens_after_safety_actions() -> None:
    assert safety_action(conversation("report_situation")) is None
    after_emergency = conversation("emergency", danger=True, after=[ActionExecuted("action_emergency")])
    assert safety_action(after_emergency) == "action_listen"
    after_reply = conversation("greet", after=[ActionExecuted("action_small_talk")])
    assert safety_action(after_reply) is None


def test_a_language_the_bot_cannot_write_goes_to_a_counselor_but_danger_and_the_queue_come_first() -> None:
    assert safety_action(conversation("report_situation", slots={"written_language": "sw"})) == "action_other_language"
    assert safety_action(conversation("emergency", danger=True, slots={"written_language": "sw"})) == "action_emergency"
    assert safety_action(conversation("greet", slots={"written_language": "sw", "handoff": "queued"})) == "action_handoff_turn"
    assert safety_action(conversation("delete_data", slots={"written_language": "sw"})) is None
    after = conversation("greet", slots={"written_language": "sw"}, after=[ActionExecuted("action_other_language")])
    assert safety_action(after) == "action_listen"


def test_with_a_translation_model_into_their_language_the_conversation_goes_on_as_any_other() -> None:
    translated = {"written_language": "sw", "machine_translation": "sw"}
    assert safety_action(conversation("report_situation", slots=translated)) is None  # the learned policies answer
    assert safety_action(conversation("emergency", danger=True, slots=translated)) == "action_emergency"
    assert safety_action(conversation("greet", slots={**translated, "handoff": "queued"})) == "action_handoff_turn"
