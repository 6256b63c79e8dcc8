"""Changing language: the numbered menu, a number picking from it, a language named."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionTrackContext
from actions.language import ActionChangeLanguage
from bot.config import Settings, settings_from
from bot.language_menu import MENU_OPEN, MENU_SLOT
from bot.sms import segment_count, to_gsm7
from tests.actions.test_actions import tracker

OPEN = {"language": "en", MENU_SLOT: MENU_OPEN, "welcomed": True}


def _settings(settings: Settings) -> Settings:
    return settings_from({"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_LANGUAGES": "en,es"})


async def _run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return dispatcher.messages, events


async def test_language_opens_a_numbered_menu_of_each_language_in_its_own_name(settings: Settings) -> None:
    messages, events = await _run(ActionChangeLanguage(_settings(settings)), tracker("LANGUAGE", "change_language", slots={**OPEN, MENU_SLOT: None}))
    texts = [message["text"] for message in messages]
    assert texts[0].startswith("Reply with the number of your language:")
    assert "1 English" in texts[0] and "2 español" in "\n".join(texts)
    assert all(segment_count(to_gsm7(text)) <= 2 for text in texts)
    assert SlotSet(MENU_SLOT, MENU_OPEN) in events


async def test_the_menu_header_is_in_the_conversations_language(settings: Settings) -> None:
    messages, _ = await _run(ActionChangeLanguage(_settings(settings)), tracker("idioma", "change_language", slots={"language": "es", "welcomed": True}))
    assert messages[0]["text"].startswith("Responde con el número de tu idioma:")


async def test_a_number_while_the_menu_is_open_switches_and_confirms_in_the_new_language(settings: Settings) -> None:
    configured = _settings(settings)
    _, events = await _run(ActionTrackContext(configured), tracker("2", "out_of_scope", slots=OPEN))
    assert SlotSet("language", "es") in events
    messages, events = await _run(ActionChangeLanguage(configured), tracker("2", "out_of_scope", slots={**OPEN, "language": "es"}))
    assert [message["response"] for message in messages] == ["utter_language_changed"]
    assert SlotSet(MENU_SLOT, None) in events


async def test_a_number_outside_the_menu_shows_it_again_and_changes_nothing(settings: Settings) -> None:
    configured = _settings(settings)
    _, events = await _run(ActionTrackContext(configured), tracker("7", "out_of_scope", slots=OPEN))
    assert not any(isinstance(e, dict) and e.get("name") == "language" and e.get("value") != "en" for e in events)
    messages, events = await _run(ActionChangeLanguage(configured), tracker("7", "out_of_scope", slots=OPEN))
    assert messages[0]["text"].startswith("Reply with the number")
    assert SlotSet(MENU_SLOT, MENU_OPEN) in events


async def test_a_number_when_no_menu_is_open_is_not_a_language_choice(settings: Settings) -> None:
    _, events = await _run(ActionTrackContext(_settings(settings)), tracker("2", "out_of_scope", slots={**OPEN, MENU_SLOT: None}))
    assert SlotSet("language", "es") not in events


async def test_any_other_message_closes_the_menu(settings: Settings) -> None:
    _, events = await _run(ActionTrackContext(_settings(settings)), tracker("they took my passport", "report_situation", slots=OPEN))
    assert SlotSet(MENU_SLOT, None) in events


async def test_a_language_the_line_does_not_write_is_answered_honestly(settings: Settings) -> None:
    messages, _ = await _run(ActionChangeLanguage(_settings(settings)), tracker("in Khmer please", "change_language", slots={**OPEN, MENU_SLOT: None}))
    assert [message["response"] for message in messages] == ["utter_language_unavailable"]


async def test_a_first_keyword_two_languages_share_is_taken_in_the_language_of_the_number(settings: Settings) -> None:
    """"अधिकार" (rights) is the same word in Hindi and Nepali: a Nepali line's number answers in Nepali."""
    configured = settings_from({"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_LANGUAGES": "en,hi,ne"})
    parse = {"language": "hi", "language_confidence": 1.0}
    nepali_number = tracker("अधिकार", "ask_rights", parse=parse, metadata={"language": "ne"})
    _, events = await _run(ActionTrackContext(configured), nepali_number)
    assert SlotSet("language", "ne") in events
    _, events = await _run(ActionTrackContext(configured), tracker("अधिकार", "ask_rights", parse=parse))
    assert SlotSet("language", "hi") in events
    # Later in a Hindi conversation the same word changes nothing.
    later = tracker("अधिकार", "ask_rights", slots={"language": "hi"}, parse=parse, metadata={"language": "ne"})
    _, events = await _run(ActionTrackContext(configured), later)
    assert not [event for event in events if event.get("name") == "language"]


async def test_an_unsure_guess_of_another_language_keeps_the_language_of_the_number(settings: Settings) -> None:
    """Bulgarian typed in Latin letters reads as Polish, unsurely: the Bulgarian line answers in Bulgarian."""
    configured = settings_from({"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_LANGUAGES": "en,bg"})
    text = "momicheta v masazhnoto studio nikoga ne izlizat navan"
    unsure = {"language": "pl", "language_confidence": 0.56}
    _, events = await _run(ActionTrackContext(configured), tracker(text, "report_suspicion", parse=unsure, metadata={"language": "bg"}))
    assert SlotSet("language", "bg") in events and not [e for e in events if e.get("name") == "written_language"]
    sure = {"language": "pl", "language_confidence": 0.97}
    _, events = await _run(ActionTrackContext(configured), tracker(text, "report_suspicion", parse=sure, metadata={"language": "bg"}))
    assert SlotSet("written_language", "pl") in events
