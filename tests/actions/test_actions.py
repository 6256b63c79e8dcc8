"""Actions run exactly as the action server runs them: a tracker in, messages and events out."""

from __future__ import annotations

from datetime import timedelta
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
from bot.config import Settings
from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from bot.handoff.escalation import HandoffSummary, escalate, open_escalation
from bot.handoff.queue import summary_of
from bot.storage.models import utcnow

# A test key for rows whose sealed parts these tests never open.
SEALER = Sealer(b"test key of thirty-two bytes ...")


def tracker(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    parse: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    sender: str = "conversation-1",
    earlier_user_turns: int = 0,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], **(parse or {})}
    events: List[Dict[str, Any]] = [{"event": "user", "text": "earlier", "parse_data": {}} for _ in range(earlier_user_turns)]
    events.append({"event": "user", "text": text, "parse_data": latest, "metadata": dict(metadata or {})})
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


async def test_context_sets_language_place_indicators_and_child(settings: Settings, database_url: str) -> None:
    parse = {
        "language": "es",
        "language_confidence": 0.99,
        "indicators": [{"key": "retention_of_documents", "confidence": 0.9, "evidence": "me quitaron el pasaporte"}],
        "danger": False,
    }
    _, events = await run(
        ActionTrackContext(settings),
        tracker("estoy en España, me quitaron el pasaporte y tengo 16 años", "report_situation", parse=parse),
    )
    assert SlotSet("language", "es") in events
    assert SlotSet("jurisdiction", "EU") in events
    assert SlotSet("child_mentioned", True) in events
    assert SlotSet("indicators_seen", parse["indicators"]) in events
    assert SlotSet("danger_seen", True) not in events

async def test_context_counts_misunderstandings_in_a_row(settings: Settings, database_url: str) -> None:
    _, events = await run(ActionTrackContext(settings), tracker("blah", "nlu_fallback", slots={"fallback_count": 1.0, "language": "en"}))
    assert SlotSet("fallback_count", 2.0) in events
    _, events = await run(ActionTrackContext(settings), tracker("hi", "greet", slots={"fallback_count": 2.0, "language": "en"}))
    assert SlotSet("fallback_count", 0.0) in events


async def test_first_answer_of_a_conversation_starts_with_the_notice(settings: Settings) -> None:
    responses, events = await run(ActionSmallTalk(settings), tracker("hola", "greet"))
    assert responses == ["utter_welcome", "utter_welcome_safety", "utter_how_can_i_help"]
    assert SlotSet("welcomed", True) in events
    responses, _ = await run(ActionSmallTalk(settings), tracker("hola", "greet", slots={"welcomed": True}, earlier_user_turns=2))
    assert responses == ["utter_greet_again"]


async def test_emergency_first_message_gets_the_number_first_and_the_top_priority(
    settings: Settings, database_url: str, sealer: Sealer
) -> None:
    responses, events = await run(
        ActionEmergency(settings), tracker("he has a knife", "emergency", parse={"danger": True}, active_loop="screening_form")
    )
    assert responses[0] == "utter_emergency" and "utter_welcome" not in responses
    assert responses == ["utter_emergency", "utter_emergency_safety_check", "utter_handoff_urgent"]
    assert events[:2] == [SlotSet("welcomed", True), ActiveLoop(None)]
    assert SlotSet("handoff", "queued") in events
    record = open_escalation(database_url, "conversation-1")
    summary = summary_of(database_url, sealer, record.id)
    assert record.priority == 1 and record.reason == "emergency" and summary["danger"] is True
    assert summary["bot_told"][:2] == ["utter_emergency", "utter_emergency_safety_check"]  # counselors see it



async def test_the_summary_quotes_the_message_that_set_off_danger_with_the_words_that_weighed_most(
    settings: Settings, database_url: str, sealer: Sealer
) -> None:
    words = ["kill me tonight", "gun"]
    parse = {"danger": True, "danger_score": 0.998, "danger_words": words, "danger_evidence": words[0]}
    emergency = tracker("he has a gun and says he will kill me tonight", "emergency", parse=parse, earlier_user_turns=1)
    emergency.events.insert(0, {"event": "user", "text": "my boss is angry", "parse_data": {"concern": True, "danger_score": 0.4, "danger_words": ["angry"]}})
    await run(ActionEmergency(settings), emergency)
    record = open_escalation(database_url, "conversation-1")
    summary = summary_of(database_url, sealer, record.id)
    assert summary["danger_score"] == pytest.approx(0.998)
    assert [(m["text"], m["words"], m["danger"]) for m in summary["danger_moments"]] == [
        ("he has a gun and says he will kill me tonight", words, True),
        ("my boss is angry", ["angry"], False),
    ]
    assert record.summary["danger_score"] == pytest.approx(1.0) and "gun" not in str(record.summary)  # words only sealed


async def test_a_witness_to_danger_gets_the_number_first_and_is_told_not_to_confront(
    settings: Settings, database_url: str
) -> None:
    """Someone else is in danger: no "is it safe for you to keep texting", the same urgency."""
    text = "the boss next door is beating the kitchen boy right now"
    responses, events = await run(ActionEmergency(settings), tracker(text, "report_suspicion", parse={"danger": True}))
    assert responses == ["utter_emergency", "utter_community_do_not_confront", "utter_handoff_urgent"]
    assert open_escalation(database_url, "conversation-1").priority == 1


async def test_second_misunderstanding_in_a_row_offers_a_person(settings: Settings) -> None:
    responses, _ = await run(ActionFallback(settings), tracker("??", "nlu_fallback", slots={"welcomed": True, "fallback_count": 1.0}))
    assert responses == ["utter_fallback"]
    responses, _ = await run(ActionFallback(settings), tracker("??", "nlu_fallback", slots={"welcomed": True, "fallback_count": 2.0}))
    assert responses == ["utter_fallback_offer_person"]


async def test_erasure_deletes_escalations_and_marks_the_tracker_for_erasure(settings: Settings, database_url: str) -> None:
    escalate(database_url, SEALER, "conversation-1", reason="requested", language="en", jurisdiction=None, summary=HandoffSummary(), requested=True)
    responses, events = await run(ActionDeleteData(settings), tracker("yes", "affirm", slots={"welcomed": True, "delete_pending": True}))
    assert responses == ["utter_data_deleted"]
    assert SlotSet("conversation_erased", True) in events
    assert open_escalation(database_url, "conversation-1") is None


async def test_asking_for_a_person_tells_the_place_in_line_honestly(settings: Settings, database_url: str) -> None:
    from actions.handoff import ActionHandoff

    escalate(database_url, SEALER, "someone-earlier", reason="requested", language="en", jurisdiction=None,
             summary=HandoffSummary(), requested=True)
    responses, events = await run(ActionHandoff(settings), tracker("i want a person", "talk_to_human", slots={"welcomed": True}))
    assert responses == ["utter_handoff_recorded", "utter_queue_place_no_estimate"]  # nobody taken yet: no estimate
    assert SlotSet("handoff", "queued") in events


async def test_a_long_wait_comes_with_the_other_ways_to_get_help_within_the_first_turns_budget(
    settings: Settings, database_url: str
) -> None:
    from actions.handoff import ActionHandoff

    for index in range(5):  # two taken in the last hour (one every 30 min): the next waits an hour
        escalation = escalate(database_url, SEALER, f"earlier-{index}", reason="requested", language="en", jurisdiction=None,
                              summary=HandoffSummary(), requested=True)
        if index < 2:
            handoff_queue.claim(database_url, escalation.id, 1, now=utcnow() - timedelta(minutes=5))
    first, _ = await run(ActionHandoff(settings), tracker("HELP", "talk_to_human", sender="first-contact"))
    assert first == ["utter_welcome", "utter_welcome_safety", "utter_queue_place_long"]  # in line: said by the notice
    later, _ = await run(ActionHandoff(settings), tracker("a person please", "talk_to_human", sender="later", slots={"welcomed": True}))
    assert later == ["utter_handoff_recorded", "utter_queue_place_long"]


async def test_out_of_hours_the_person_hears_the_next_shift_and_the_emergency_number(settings: Settings, database_url: str) -> None:
    from actions.handoff import ActionHandoff
    from bot.opening_hours import save_schedules

    save_schedules(database_url, "schedules:\n  default: {timezone: UTC, weekly: {}, holidays: []}\n", None)
    responses, _ = await run(ActionHandoff(settings), tracker("HELP", "request_help", slots={"welcomed": True}))
    assert responses == ["utter_handoff_recorded", "utter_queue_out_of_hours", "utter_emergency"]
    assert open_escalation(database_url, "conversation-1") is not None  # stays in line for the next shift


async def test_the_bot_is_silent_with_a_counselor_and_answers_again_once_returned(settings: Settings, database_url: str) -> None:
    from actions.handoff import ActionHandoffTurn
    from bot.handoff import queue as handoff_queue

    escalation = escalate(database_url, SEALER, "conversation-1", reason="requested", language="en", jurisdiction=None,
                          summary=HandoffSummary(), requested=True).id
    handoff_queue.claim(database_url, escalation, counselor_id=1)
    _, events = await run(ActionTrackContext(settings), tracker("thanks", "thank", slots={"handoff": "queued", "welcomed": True}))
    assert SlotSet("handoff", "with_counselor") in events
    responses, _ = await run(ActionHandoffTurn(settings), tracker("are you there", "talk_to_human",
                                                          slots={"handoff": "with_counselor", "welcomed": True}))
    assert responses == []
    handoff_queue.return_to_bot(database_url, escalation)
    _, events = await run(ActionTrackContext(settings), tracker("hi", "greet", slots={"handoff": "with_counselor", "welcomed": True}))
    assert SlotSet("handoff", None) in events


async def test_a_waiting_person_hears_their_place_again_only_after_the_interval_or_when_they_ask(settings: Settings, database_url: str) -> None:
    """One clock (the escalation's wait_notice_at): the handoff's notice, the bot's later ones and
    the console sweeper's all start it again."""
    from datetime import timedelta

    from actions.handoff import ActionHandoff, ActionHandoffTurn
    from bot.handoff import queue as handoff_queue

    waiting = {"handoff": "queued", "welcomed": True}
    responses, _ = await run(ActionHandoff(settings), tracker("i need a person", "talk_to_human", slots={"welcomed": True}))
    assert "utter_queue_place_no_estimate" in responses or "utter_queue_place" in responses
    escalation = open_escalation(database_url, "conversation-1").id

    responses, _ = await run(ActionHandoffTurn(settings), tracker("ok", "affirm", slots=waiting))
    assert "utter_handoff_waiting" not in responses  # just told
    responses, _ = await run(ActionHandoffTurn(settings), tracker("can i talk to someone", "talk_to_human", slots=waiting))
    assert responses[:1] == ["utter_handoff_waiting"]  # asked again: told again

    long_ago = handoff_queue.get(database_url, escalation).wait_notice_at - timedelta(seconds=settings.handoff_notice_interval_s + 1)
    handoff_queue.record_wait_notice(database_url, escalation, now=long_ago)
    responses, _ = await run(ActionHandoffTurn(settings), tracker("hello?", "greet", slots=waiting))
    assert responses[:1] == ["utter_handoff_waiting"]  # the interval has passed
    responses, _ = await run(ActionHandoffTurn(settings), tracker("ok", "affirm", slots=waiting))
    assert "utter_handoff_waiting" not in responses


async def test_a_message_in_a_language_the_bot_lacks_is_kept_for_the_counselor(settings: Settings, database_url: str) -> None:
    parse = {"language": "sw", "language_confidence": 0.98}
    _, events = await run(ActionTrackContext(settings), tracker("bosi wangu amechukua pasipoti yangu", "report_situation", parse=parse))
    assert SlotSet("written_language", "sw") in events
    assert SlotSet("language", "en") in events  # the bot still writes in a language it has


async def test_another_language_is_answered_in_the_default_one_and_queued_with_its_language(settings: Settings, database_url: str) -> None:
    from actions.language import ActionOtherLanguage

    responses, events = await run(
        ActionOtherLanguage(settings), tracker("bosi wangu amechukua pasipoti yangu", "report_situation", slots={"written_language": "sw"})
    )
    assert responses == ["utter_other_language", "utter_queue_place_no_estimate"]
    assert events[0] == SlotSet("welcomed", True) and SlotSet("handoff", "queued") in events
    record = open_escalation(database_url, "conversation-1")
    assert (record.reason, record.language, record.priority) == ("language", "sw", 4)


async def test_a_language_with_a_translation_model_is_answered_machine_translated_one_without_is_not(translating_settings: Settings) -> None:
    swahili = {"language": "sw", "language_confidence": 0.98}
    _, events = await run(ActionTrackContext(translating_settings), tracker("bosi wangu amechukua pasipoti yangu", "report_situation", parse=swahili))
    assert SlotSet("written_language", "sw") in events and SlotSet("machine_translation", "sw") in events
    amharic = {"language": "am", "language_confidence": 1.0}
    _, events = await run(ActionTrackContext(translating_settings), tracker("አለቃዬ ፓስፖርቴን ወሰደ", "report_situation", parse=amharic))
    assert SlotSet("written_language", "am") in events  # no en -> am model: a counselor is asked instead
    assert not [event for event in events if event.get("name") == "machine_translation" and event.get("value")]
    # back to English: both cleared
    english = {"language": "en", "language_confidence": 0.99}
    slots = {"language": "en", "written_language": "sw", "machine_translation": "sw"}
    _, events = await run(ActionTrackContext(translating_settings), tracker("my boss took my passport", "report_situation", parse=english, slots=slots))
    assert SlotSet("written_language", None) in events and SlotSet("machine_translation", None) in events


async def test_without_a_model_a_line_that_is_not_english_says_it_in_english_and_in_its_own_language(settings: Settings, database_url: str) -> None:
    from actions.language import ActionOtherLanguage

    dispatcher = CollectingDispatcher()
    slots = {"language": "th", "written_language": "am", "welcomed": True}
    events = await ActionOtherLanguage(settings).run(dispatcher, tracker("አለቃዬ ፓስፖርቴን ወሰደ", "report_situation", slots=slots), {})
    said = [(message.get("response"), message.get("language")) for message in dispatcher.messages]
    assert said == [("utter_other_language", "en"), ("utter_other_language", None)]  # then the line's language, Thai
    assert SlotSet("handoff", "queued") in events
    record = open_escalation(database_url, "conversation-1")
    assert (record.reason, record.language) == ("language", "am")


async def test_a_concern_raises_the_priority_of_a_request_without_the_emergency_script(settings: Settings, database_url: str) -> None:
    from actions.handoff import ActionHandoff

    parse = {"concern": True, "danger": False}
    _, events = await run(ActionTrackContext(settings), tracker("im scared of him", "report_situation", parse=parse, slots={"language": "en"}))
    assert SlotSet("concern_seen", True) in events and SlotSet("danger_seen", True) not in events
    responses, _ = await run(ActionHandoff(settings), tracker("HELP", "talk_to_human", slots={"welcomed": True, "concern_seen": True}))
    assert "utter_emergency" not in responses
    record = open_escalation(database_url, "conversation-1")
    assert record.priority == 2 and record.summary["concern"] is True


async def test_a_request_for_help_that_describes_the_situation_is_reflected_before_the_options(settings: Settings) -> None:
    from actions.situation import ActionOfferOptions

    parse = {"indicators": [{"key": "retention_of_documents", "confidence": 0.9, "evidence": "passport"}]}
    responses, _ = await run(ActionOfferOptions(settings), tracker("they took my passport what can i do", "request_help",
                                                           parse=parse, slots={"welcomed": True}))
    assert responses == ["utter_reflect_one", "utter_offer_options"]
    responses, _ = await run(ActionOfferOptions(settings), tracker("i need help", "request_help", slots={"welcomed": True}))
    assert responses == ["utter_here_to_help", "utter_offer_options"]
