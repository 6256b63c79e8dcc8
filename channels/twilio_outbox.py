"""The Twilio outbox: sends, one after the other, what the bot and counselors wrote to SMS and
WhatsApp users, through ``channels.twilio_api`` (with its retries), and records what became of
each message. Nothing goes to someone who replied STOP, outside WhatsApp's 24-hour window, or
after an erasure (``bot.inbox.may_send``)."""

from __future__ import annotations

import asyncio
import logging
from typing import List, Optional, Sequence

from bot import inbox
from bot.config import Settings
from bot.crypto import Sealer
from bot.errors import DeliveryError
from bot.inbox import DeliveryBlock
from channels.twilio_api import TwilioClient

logger = logging.getLogger(__name__)


class TwilioOutbox:
    """Sends stored replies for the channels ``channels`` (sms, whatsapp)."""

    def __init__(
        self, sealer: Sealer, client: Optional[TwilioClient], settings: Settings, channels: Sequence[str]
    ) -> None:
        self._url = settings.database_url
        self._sealer = sealer
        self._client = client
        self._settings = settings
        self._channels = tuple(channels)
        self._people_sender: Optional[asyncio.Task] = None  # sends counselors' messages, one at a time

    async def send_from_people(self) -> None:
        """On every look at the inbox: send what counselors (the console, another process) wrote
        to SMS and WhatsApp users, one message after the other."""
        if self._people_sender is None or self._people_sender.done():
            waiting = await asyncio.to_thread(inbox.pending_from_people, self._url, self._channels)
            if waiting:
                self._people_sender = asyncio.get_running_loop().create_task(self.send_in_order(waiting))

    async def send_in_order(self, outbound_ids: List[int]) -> None:
        """Send these replies one after the other (a turn's SMS parts arrive in order)."""
        for outbound_id in outbound_ids:
            await self.send(outbound_id)

    async def send(self, outbound_id: int) -> None:
        """Send one stored reply unless another sender has it, or it may not go (then say why)."""
        url = self._url
        outbound = await asyncio.to_thread(inbox.claim_outbound, url, self._sealer, outbound_id)
        if outbound is None:
            return
        blocked = await asyncio.to_thread(inbox.may_send, url, outbound.conversation_key, outbound.channel)
        if blocked is DeliveryBlock.NO_ADDRESS and outbound.author == "bot":
            # The turn that answered the person erased their data: its own reply (the confirmation)
            # still goes to the address it came with; nothing else ever will.
            blocked = None
        if blocked:
            await asyncio.to_thread(inbox.mark_suppressed, url, outbound_id, blocked)
            return
        if self._client is None:
            await asyncio.to_thread(inbox.mark_failed, url, outbound_id, "TWILIO_ACCOUNT_SID is not set", 0)
            return
        callback = f"{self._settings.public_url}/webhooks/twilio/status" if self._settings.public_url else None
        try:
            sid, attempts = await self._client.send(outbound.address, outbound.hotline_number, outbound.body, callback)
        except DeliveryError as error:
            logger.error("A reply could not be sent (%s after %d attempts).", error.reason, error.attempts)
            await asyncio.to_thread(inbox.mark_failed, url, outbound_id, error.reason, error.attempts)
            return
        await asyncio.to_thread(inbox.mark_sent, url, outbound_id, sid, attempts)
