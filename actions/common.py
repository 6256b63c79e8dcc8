"""What every action uses: its settings and knowledge base (:class:`Configured`), slots, the handoff summary."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.catalog import Catalogs
from bot.config import LazySettings, Settings
from bot.crypto import Sealer
from bot.handoff.escalation import MAX_DANGER_MOMENTS, HandoffSummary
from bot.knowledge import KnowledgeBase

SCREENING_SLOTS = (
    "screen_paid",
    "screen_leave",
    "screen_come_go",
    "screen_threats",
    "screen_documents",
    "screen_debt",
    "screen_locked",
    "screen_permission",
)


@functools.lru_cache(maxsize=4)
def knowledge_for(knowledge_dir: Path, languages: Tuple[str, ...]) -> KnowledgeBase:
    """The knowledge base, loaded once per process on first use (never at import)."""
    return KnowledgeBase.load(knowledge_dir, languages)


@functools.lru_cache(maxsize=4)
def catalogs_for(translations_dir: Path, languages: Tuple[str, ...], default_language: str) -> Catalogs:
    """The response catalogs, loaded once per process on first use (for texts an action composes)."""
    return Catalogs.load(translations_dir, languages, default_language)


class Configured(LazySettings):
    """Gives an action its settings (passed in by tests, else from the environment), the sealer
    for what it stores, the knowledge base and the catalogs."""

    @property
    def sealer(self) -> Sealer:
        return self.settings.sealer()

    @property
    def knowledge(self) -> KnowledgeBase:
        return knowledge_for(self.settings.knowledge_dir, self.settings.languages)

    @property
    def catalogs(self) -> Catalogs:
        return catalogs_for(self.settings.translations_dir, self.settings.languages, self.settings.default_language)


def say(dispatcher: CollectingDispatcher, response: str, **values: Any) -> None:
    """Send a catalog response; ``values`` fill its placeholders (and may name the language)."""
    dispatcher.utter_message(response=response, **values)


def language_of(tracker: Tracker, settings: Settings) -> str:
    """The language the bot writes to this person in (one of ``HOTLINE_LANGUAGES``)."""
    return tracker.get_slot("language") or settings.default_language


def written_language_of(tracker: Tracker, settings: Settings) -> str:
    """The language the person writes in: the one a counselor needs (may be one the bot lacks)."""
    return tracker.get_slot("written_language") or language_of(tracker, settings)


def place_word_languages(tracker: Tracker, settings: Settings) -> Tuple[str, ...]:
    """Whose words for places to look for in the latest message: the conversation's language, the
    language the message was written in, and English (place names people type in any language)."""
    detected = tracker.latest_message.get("language")
    return tuple(dict.fromkeys(code for code in (language_of(tracker, settings), detected, "en") if code))


def jurisdiction_of(tracker: Tracker, settings: Settings) -> Optional[str]:
    return tracker.get_slot("jurisdiction") or settings.default_jurisdiction


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_user_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Metadata the channel attached to the latest user message (e.g. jurisdiction, channel)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def bot_responses_sent(tracker: Tracker) -> List[str]:
    """Names of the responses the bot has sent in this conversation, in order, without repeats."""
    sent: List[str] = []
    for event in tracker.events:
        if event.get("event") == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            if name and name not in sent:
                sent.append(name)
    return sent


def last_bot_response(tracker: Tracker) -> Optional[str]:
    """Name of the last response the bot sent, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def danger_moments(tracker: Tracker) -> List[Dict[str, Any]]:
    """The person's messages that raised danger or a concern, strongest first (danger before a
    concern, then by score), with the words that weighed most: what a counselor reads first."""
    moments: List[Dict[str, Any]] = []
    for event in tracker.events:
        parse = (event.get("parse_data") or {}) if event.get("event") == "user" else {}
        if not (parse.get("danger") or parse.get("concern")):
            continue
        moments.append(
            {
                "text": event.get("text") or "",
                "words": list(parse.get("danger_words") or ([parse["danger_evidence"]] if parse.get("danger_evidence") else [])),
                "score": float(parse.get("danger_score") or 0.0),
                "danger": bool(parse.get("danger")),
            }
        )
    moments.sort(key=lambda moment: (moment["danger"], moment["score"]), reverse=True)
    return moments[:MAX_DANGER_MOMENTS]


def handoff_summary(
    tracker: Tracker, danger: Optional[bool] = None, dispatcher: Optional[CollectingDispatcher] = None
) -> HandoffSummary:
    """What a counselor needs first, from the conversation's slots and events (and what the
    running action has already said, when its ``dispatcher`` is given)."""
    screening = {slot: tracker.get_slot(slot) for slot in SCREENING_SLOTS if tracker.get_slot(slot)}
    told = bot_responses_sent(tracker)
    moments = danger_moments(tracker)
    for message in dispatcher.messages if dispatcher else []:
        if message.get("response") and message["response"] not in told:
            told.append(message["response"])
    return HandoffSummary(
        danger=bool(tracker.get_slot("danger_seen")) if danger is None else danger,
        concern=bool(tracker.get_slot("concern_seen")),
        child_mentioned=bool(tracker.get_slot("child_mentioned")),
        indicators=list(tracker.get_slot("indicators_seen") or []),
        screening=screening,
        bot_told=told,
        danger_score=max((moment["score"] for moment in moments), default=0.0),
        danger_moments=moments,
    )
