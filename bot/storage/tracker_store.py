"""Rasa tracker store on the project's database: sealed at rest, and erased on request.

It is Rasa's ``SQLTrackerStore`` pointed at ``HOTLINE_DATABASE_URL``, with two changes:

* **Sealed events.** An event's data (what the person wrote, the parse with its evidence quotes,
  slot values such as screening answers, the bot's replies, message ids) is stored encrypted with
  the project's :class:`~bot.crypto.Sealer`. Only what Rasa's queries need stays in clear: the
  conversation key (an HMAC, never a phone number), the event type and its time. Rasa's
  ``intent_name`` and ``action_name`` columns stay empty. A record that does not open (changed,
  or sealed under a key the line no longer has) is refused, never read as something else.
* **Erasure.** When a conversation's events contain the erasure marker (the
  ``conversation_erased`` slot set by ``action_delete_data``), saving deletes every stored event of
  that conversation and keeps none of the in-memory ones, so the next message starts a brand-new
  conversation.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event as sa_event

from bot import log_privacy
from bot.config import load_settings
from bot.crypto import Sealer
from bot.storage import ERASURE_SLOT
from bot.storage.db import _prepare_sqlite_file, apply_sqlite_pragmas

logger = logging.getLogger(__name__)


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True when this turn asked for the conversation to be erased."""
    return any(isinstance(event, SlotSet) and event.key == ERASURE_SLOT and event.value for event in tracker.events)


class HotlineTrackerStore(SQLTrackerStore):
    """SQL tracker store on the configured database, sealed at rest, with erasure on request."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        database_url: Optional[str] = None,
        sealer: Optional[Sealer] = None,
        **kwargs: Any,
    ) -> None:
        """``database_url`` and ``sealer`` are given by tests; Rasa builds the store from
        ``endpoints.yml`` without them (then they come from the environment)."""
        log_privacy.install()  # Rasa's own DEBUG logs print every message's parse
        if database_url is None or sealer is None:
            settings = load_settings()
            database_url = database_url or settings.database_url
            sealer = sealer or settings.sealer()
        self._sealer = sealer
        _prepare_sqlite_file(database_url)
        kwargs.pop("host", None)
        # Rasa's SQLTrackerStore takes a complete URL when it is passed as `host`.
        super().__init__(domain=domain, host=database_url, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa_event.listen(self.engine, "connect", lambda connection, _record: apply_sqlite_pragmas(connection))
            self.engine.dispose()  # connections opened while Rasa created its table get them too

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_requested(tracker):
            self._erase(tracker.sender_id)
            return
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=None,
                        action_name=None,
                        data=self._sealer.seal(json.dumps(data)),
                    )
                )
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [json.loads(self._sealer.open(row.data)) for row in rows]
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _erase(self, sender_id: str) -> None:
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        if self.engine.dialect.name == "sqlite":  # what was erased leaves the write-ahead log too
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        logger.info("Erased a conversation on request (%d stored events).", deleted)
