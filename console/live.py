"""The live queue: one poller per console process, every open queue view woken when it changes.

:class:`QueueWatcher` looks at the queue every ``interval`` seconds (one small query of ids and
change times for all connected counselors, whatever their number; only the escalations that
changed are read again, with their evidence opened from the sealed summaries) and keeps the
latest snapshot; a view waits with
:meth:`QueueWatcher.changed_since` and then renders the snapshot for its counselor (languages,
role). Changes made by other processes (the bot escalating, another console server) are seen
within one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Optional, Tuple

from bot.crypto import Sealer
from bot.handoff import queue as handoff_queue
from bot.handoff.queue import QueueItem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    version: int
    waiting: Tuple[QueueItem, ...] = ()
    assigned: Tuple[QueueItem, ...] = ()


def _evidence_key(item: QueueItem) -> Tuple[Any, ...]:
    """What the evidence (``handoff_queue.evidence_of``) follows: the strongest danger message and
    the signs found. A claim or a transfer leaves it as it was, so the sealed summary is not reread;
    the score is kept rounded to two places (``escalation.flags_of``), so only a new message moves it."""
    return item.priority, item.danger, item.danger_score, item.indicators


class QueueWatcher:
    def __init__(self, database_url: str, sealer: Sealer, interval: float = 0.25) -> None:
        self._url = database_url
        self._sealer = sealer
        # open escalation id -> the person's words that put it where it is (handoff_queue.evidence)
        self.evidence: Dict[int, Tuple[str, ...]] = {}
        self._interval = interval
        self.snapshot = Snapshot(0)
        self._changed: Optional[asyncio.Event] = None
        self._versions: Dict[int, datetime] = {}  # open escalation id -> its last change
        self._items: Dict[int, QueueItem] = {}
        self._refreshing: Optional[asyncio.Lock] = None
        self._views: Dict[Tuple[int, Tuple[str, ...], int], Any] = {}

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def refresh(self) -> None:
        if self._refreshing is None:
            self._refreshing = asyncio.Lock()
        async with self._refreshing:  # the poller and a page load may ask at the same time
            await self._refresh()

    async def _refresh(self) -> None:
        versions = await asyncio.to_thread(handoff_queue.open_versions, self._url)
        if versions == self._versions:
            return
        changed = [i for i, changed_at in versions.items() if self._versions.get(i) != changed_at]
        unsealed = []  # rows whose evidence may have changed (new, or new danger or signs); not mere claims
        for item in await asyncio.to_thread(handoff_queue.items, self._url, changed):
            before = self._items.get(item.id)
            if before is None or _evidence_key(before) != _evidence_key(item):
                unsealed.append(item.id)
            self._items[item.id] = item
        if unsealed:
            self.evidence.update(await asyncio.to_thread(handoff_queue.evidence, self._url, self._sealer, unsealed))
        for gone in set(self._items) - set(versions):
            del self._items[gone]
            self.evidence.pop(gone, None)
        self._versions = versions
        ordered = sorted(self._items.values(), key=handoff_queue.queue_order)
        waiting = tuple(item for item in ordered if item.status == handoff_queue.QUEUED)
        assigned = tuple(item for item in ordered if item.status == handoff_queue.WITH_COUNSELOR)
        self.snapshot = Snapshot(self.snapshot.version + 1, waiting, assigned)
        self._views.clear()
        event, self._changed = self._event(), asyncio.Event()
        event.set()

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the database may be away for a moment: keep the last snapshot
                logger.exception("Could not read the queue; trying again.")
            await asyncio.sleep(self._interval)

    def shared_view(self, snapshot: Snapshot, key: Tuple[str, ...], render: Callable[[], Any]) -> Any:
        """A part of the view that is the same for every counselor with ``key`` (their languages),
        rendered once per snapshot however many counselors are watching."""
        if snapshot.version != self.snapshot.version:
            return render()
        cache_key = (snapshot.version, key, int(time.monotonic() // 15))  # waits and routing move with time
        if cache_key not in self._views:
            self._views[cache_key] = render()
        return self._views[cache_key]

    async def changed_since(self, version: int, timeout: float) -> Snapshot:
        """The snapshot once it is newer than ``version`` (or the current one after ``timeout``)."""
        if self.snapshot.version > version:
            return self.snapshot
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event().wait(), timeout=timeout)
        return self.snapshot
