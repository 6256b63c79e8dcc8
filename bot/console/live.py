"""The live queue: one poller per console process, every open queue view woken when it changes.

:class:`QueueWatcher` reads the queue every ``interval`` seconds (one query for all connected
counselors, whatever their number) and keeps the latest snapshot; a view waits with
:meth:`QueueWatcher.changed_since` and then renders the snapshot for its counselor (languages,
role). Changes made by other processes (the bot escalating, another console server) are seen
within one interval.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from bot import handoff_queue
from bot.handoff_queue import QueueItem
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    version: int
    waiting: Tuple[QueueItem, ...] = ()
    assigned: Tuple[QueueItem, ...] = ()
    taken_at: object = field(default_factory=utcnow)


class QueueWatcher:
    def __init__(self, database_url: str, interval: float = 0.25) -> None:
        self._url = database_url
        self._interval = interval
        self.snapshot = Snapshot(0)
        self._changed: Optional[asyncio.Event] = None
        self._fingerprint: object = None

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _read(self) -> Tuple[List[QueueItem], List[QueueItem]]:
        return handoff_queue.waiting(self._url), handoff_queue.assigned_to(self._url)

    async def refresh(self) -> None:
        waiting, assigned = await asyncio.to_thread(self._read)
        fingerprint = tuple(
            (item.id, item.status, item.priority, item.counselor_id, item.language, item.indicators, item.danger)
            for item in waiting + assigned
        )
        if fingerprint != self._fingerprint:
            self._fingerprint = fingerprint
            self.snapshot = Snapshot(self.snapshot.version + 1, tuple(waiting), tuple(assigned))
            event, self._changed = self._event(), asyncio.Event()
            event.set()

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the database may be away for a moment: keep the last snapshot
                logger.exception("Could not read the queue; trying again.")
            await asyncio.sleep(self._interval)

    async def changed_since(self, version: int, timeout: float) -> Snapshot:
        """The snapshot once it is newer than ``version`` (or the current one after ``timeout``)."""
        if self.snapshot.version > version:
            return self.snapshot
        try:
            await asyncio.wait_for(self._event().wait(), timeout=timeout)
        except asyncio.TimeoutError:
            pass
        return self.snapshot
