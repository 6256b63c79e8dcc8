"""Rasa tracker store on the project's database that honours a person's request to erase.

It is Rasa's ``SQLTrackerStore`` pointed at ``HOTLINE_DATABASE_URL``, with one change: when a
conversation's events contain the erasure marker (the ``conversation_erased`` slot set by
``action_delete_data``), saving deletes every stored event of that conversation and keeps none
of the in-memory ones, so the next message starts a brand-new conversation.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import load_settings
from bot.storage import ERASURE_SLOT
from bot.storage.db import _prepare_sqlite_file

logger = logging.getLogger(__name__)



def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True when this turn asked for the conversation to be erased."""
    return any(isinstance(event, SlotSet) and event.key == ERASURE_SLOT and event.value for event in tracker.events)


class HotlineTrackerStore(SQLTrackerStore):
    """SQL tracker store on the configured database, with erasure on request."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        database_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        url = database_url or load_settings().database_url
        _prepare_sqlite_file(url)
        kwargs.pop("host", None)
        # Rasa's SQLTrackerStore takes a complete URL when it is passed as `host`.
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not erasure_requested(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
            session.commit()
        logger.info("Erased a conversation on request (%d stored events).", deleted)
