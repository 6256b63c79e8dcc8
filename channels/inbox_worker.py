"""The one loop that runs a channel's turns from the durable inbox (``bot.inbox``), for every channel.

A message is offered as soon as the channel has committed it (:meth:`InboxWorker.offer`). Every
``poll_s`` the worker also looks for messages whose turn is due and that nobody runs: committed
by another process (``channels.twilio_receiver``), interrupted by a crash, or failed before
(tried again after 5 s, 10 s, 20 s ... at most 5 minutes: ``channels.turns.TurnBook``). Each
conversation always goes to the same lane, so a person's messages keep their order; lanes run
side by side. What a turn does (the channel's own part) is the ``process`` callable: it raises
when the turn must be tried again.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Awaitable, Callable, List, Optional, Sequence

from bot import inbox
from bot.crypto import Sealer
from bot.inbox import Inbound
from channels.turns import TurnBook

logger = logging.getLogger(__name__)

INBOX_POLL_SECONDS = 0.25

ProcessTurn = Callable[[Inbound], Awaitable[None]]
OnPoll = Callable[[], Awaitable[None]]


class InboxWorker:
    """Runs the turns of the channels ``channels`` (names as stored in the inbox)."""

    def __init__(
        self,
        name: str,
        database_url: str,
        sealer: Sealer,
        channels: Sequence[str],
        process: ProcessTurn,
        lanes: int = 1,
        poll_s: float = INBOX_POLL_SECONDS,
        on_poll: Optional[OnPoll] = None,
        turns: Optional[TurnBook] = None,
    ) -> None:
        if lanes < 1:
            raise ValueError("an inbox worker needs at least one lane")
        self.name = name
        self._url = database_url
        self._sealer = sealer
        self._channels = tuple(channels)
        self._process = process
        self._lane_count = lanes
        self._poll_s = poll_s
        self._on_poll = on_poll
        self._turns = turns or TurnBook()
        self._lanes: List[asyncio.Queue] = []

    def offer(self, inbound: Inbound) -> None:
        """Run this message's turn on its conversation's lane, unless a turn for it already runs
        (or the worker has not started: the poll will find it)."""
        if not self._lanes or not self._turns.start(inbound.id):
            return
        lane = zlib.crc32(inbound.conversation_key.encode()) % len(self._lanes)
        self._lanes[lane].put_nowait(inbound)

    async def run(self) -> None:
        """Start the lanes, then look at the inbox every ``poll_s`` for ever."""
        self._lanes = [asyncio.Queue() for _ in range(self._lane_count)]
        lanes = [asyncio.get_running_loop().create_task(self._lane(queue)) for queue in self._lanes]
        try:
            while True:
                await self._poll()
                await asyncio.sleep(self._poll_s)
        finally:
            for lane in lanes:
                lane.cancel()

    async def _poll(self) -> None:
        try:
            due = self._turns.due(await asyncio.to_thread(inbox.unprocessed_ids, self._url, self._channels))
            for inbound in await asyncio.to_thread(inbox.unprocessed, self._url, self._sealer, due):
                self.offer(inbound)
            if self._on_poll is not None:
                await self._on_poll()
        except Exception:  # the database may be away for a moment: look again next time
            logger.exception("Could not read the %s inbox; trying again.", self.name)

    async def _lane(self, queue: asyncio.Queue) -> None:
        while True:
            inbound = await queue.get()
            try:
                await self._run_turn(inbound)
            finally:
                queue.task_done()

    async def _run_turn(self, inbound: Inbound) -> None:
        try:
            await self._process(inbound)
        except Exception:  # the message stays in the inbox; the poll offers it again when due
            failures, pause = self._turns.failed(inbound.id)
            logger.exception("A %s message could not be processed (%d times); trying again in %.0f s.", self.name, failures, pause)
            return
        self._turns.succeeded(inbound.id)
