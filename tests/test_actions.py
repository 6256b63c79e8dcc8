"""Actions run exactly as the action server runs them: a tracker in, messages and events out."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionTrackContext
from actions.delete_data import ActionDeleteData
from actions.emergency import ActionEmergency
from actions.fallback import ActionFallback
from actions.screening import interpret_answer
from actions.small_talk import ActionSmallTalk
from bot.escalation import HandoffSummary, escalate, open_escalation


def tracker(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    parse: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    sender: str = "conversation-1",
    earlier_user_turns: int = 0,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], **(parse or {})}
    events: List[Dict[str, Any]] = [{"event": "user", "text": "earlier", "parse_data": {}} for _ in range(earlier_user_turns)]
    events.append({"event": "user", "text": text, "parse_data": latest, "metadata": {}})
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


async def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return [message.get("response") for message in dispatcher.messages], events


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("yes", "affirm", "yes"),
        ("si", "greet", "yes"),
        ("nope", "deny", "no"),
        ("SKIP", "out_of_scope", "skipped"),
        ("no sé", "deny", "skipped"),
        ("END", "out_of_scope", "end"),
        ("basta ya", "deny", "end"),
        ("sometimes when he is angry", "report_situation", "unclear"),
    ],
)
def test_screening_answers_are_read_generously(text: str, intent: str, expected: str) -> None:
    assert interpret_answer(text, intent) == expected


async def test_context_sets_language_place_indicators_and_child(database_url: str) -> None:
    parse = {
        "language": "es",
        "language_confidence": 0.99,
        "indicators": [{"key": "retention_of_documents", "confidence": 0.9, "evidence": "me quitaron el pasaporte"}],
        "danger": False,
    }
    _, events = await run(
        ActionTrackContext(),
        tracker("estoy en España, me quitaron el pasaporte y tengo 16 años", "report_situation", parse=parse),
    )
    assert SlotSet("language", "es") in events
    assert SlotSet("jurisdiction", "EU") in events
    assert SlotSet("child_mentioned", True) in events
    assert SlotSet("indicators_seen", parse["indicators"]) in events
    assert SlotSet("danger_seen", True) not in events

async def test_context_counts_misunderstandings_in_a_row(database_url: str) -> None:
    _, events = await run(ActionTrackContext(), tracker("blah", "nlu_fallback", slots={"fallback_count": 1.0, "language": "en"}))
    assert SlotSet("fallback_count", 2.0) in events
    _, events = await run(ActionTrackContext(), tracker("hi", "greet", slots={"fallback_count": 2.0, "language": "en"}))
    assert SlotSet("fallback_count", 0.0) in events


async def test_first_answer_of_a_conversation_starts_with_the_notice() -> None:
    responses, events = await run(ActionSmallTalk(), tracker("hola", "greet"))
    assert responses == ["utter_welcome", "utter_welcome_safety", "utter_how_can_i_help"]
    assert SlotSet("welcomed", True) in events
    responses, _ = await run(ActionSmallTalk(), tracker("hola", "greet", slots={"welcomed": True}, earlier_user_turns=2))
    assert responses == ["utter_greet_again"]


async def test_emergency_first_message_gets_the_number_first_and_the_top_priority(database_url: str) -> None:
    responses, events = await run(
        ActionEmergency(), tracker("he has a knife", "emergency", parse={"danger": True}, active_loop="screening_form")
    )
    assert responses[0] == "utter_emergency" and "utter_welcome" not in responses
    assert responses == ["utter_emergency", "utter_emergency_safety_check", "utter_handoff_urgent"]
    assert events[:2] == [SlotSet("welcomed", True), ActiveLoop(None)]
    assert SlotSet("handoff", "queued") in events
    record = open_escalation(database_url, "conversation-1")
    assert record.priority == 1 and record.reason == "emergency" and record.summary["danger"] is True


async def test_second_misunderstanding_in_a_row_offers_a_person() -> None:
    responses, _ = await run(ActionFallback(), tracker("??", "nlu_fallback", slots={"welcomed": True, "fallback_count": 1.0}))
    assert responses == ["utter_fallback"]
    responses, _ = await run(ActionFallback(), tracker("??", "nlu_fallback", slots={"welcomed": True, "fallback_count": 2.0}))
    assert responses == ["utter_fallback_offer_person"]


async def test_erasure_deletes_escalations_and_marks_the_tracker_for_erasure(database_url: str) -> None:
    escalate(database_url, "conversation-1", reason="requested", language="en", jurisdiction=None, summary=HandoffSummary(), requested=True)
    responses, events = await run(ActionDeleteData(), tracker("yes", "affirm", slots={"welcomed": True, "delete_pending": True}))
    assert responses == ["utter_data_deleted"]
    assert SlotSet("conversation_erased", True) in events
    assert open_escalation(database_url, "conversation-1") is None
