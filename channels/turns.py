"""One bot turn for a stored message, shared by the channels that keep a durable inbox.

``take_turn`` runs the turn unless Rasa already saved it (a crash between Rasa saving the turn
and the channel storing the replies): then the replies are read back from the tracker, so a
message is never answered twice. A turn is not started while the action server is unreachable
(Rasa would drop the answer): the message waits and is tried again. :class:`TurnBook` keeps which stored messages a channel is
working on and when one whose turn failed may be tried again, so an inbox watcher can pick up
everything else without running a turn twice at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Set, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.errors import ActionServerUnavailable
from bot.inbox import Inbound


async def replies_already_saved(app, inbound: Inbound) -> Optional[List[str]]:
    """The replies of this message's turn if Rasa has saved it, else None."""
    tracker = await app.ctx.agent.tracker_store.retrieve(inbound.conversation_key)
    if tracker is None:
        return None
    events = list(tracker.events)
    for index, event in enumerate(events):
        if event.type_name == "user" and getattr(event, "message_id", None) == inbound.provider_sid:
            replies = []
            for later in events[index + 1 :]:
                if later.type_name == "user":
                    break
                if later.type_name == "bot" and later.text:
                    replies.append(later.text)
            return replies
    return None


HEALTH_TIMEOUT_SECONDS = 3.0


async def ensure_actions_reachable(app) -> None:
    """Raise :class:`ActionServerUnavailable` unless the action server answers its health check.

    Asked before every turn (a millisecond on the same machine): an answer cached even for a
    second would let the turns of that second lose their replies. The action server dying in the
    milliseconds between the check and the turn's call still loses that turn's answer."""
    import aiohttp

    endpoint = getattr(app.ctx.agent, "action_endpoint", None)
    if endpoint is None or not endpoint.url:
        return
    health = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
    session = getattr(app.ctx, "hotline_health_session", None)
    if session is None or session.closed:  # one session for the server's life: cheap checks
        session = app.ctx.hotline_health_session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
        )
    try:
        async with session.get(health) as answer:
            if answer.status != 200:
                raise ActionServerUnavailable(f"action server health check answered {answer.status}")
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as error:
        raise ActionServerUnavailable(f"action server unreachable ({error.__class__.__name__})") from None


async def take_turn(
    app,
    inbound: Inbound,
    channel_name: str,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    metadata: Dict[str, Any],
) -> List[str]:
    """The bot's replies to a stored message (running the turn only if it never completed)."""
    saved = await replies_already_saved(app, inbound)
    if saved is not None:
        return saved
    await ensure_actions_reachable(app)
    collector = CollectingOutputChannel()
    await on_new_message(
        UserMessage(
            inbound.text,
            collector,
            sender_id=inbound.conversation_key,
            input_channel=channel_name,
            message_id=inbound.provider_sid,
            metadata=metadata,
        )
    )
    return [message["text"] for message in collector.messages if message.get("text")]


class TurnBook:
    """Stored messages in progress, and failed ones waiting for their next try.

    A failed turn is tried again after ``first_pause`` seconds, then twice as long each time, at
    most every ``max_pause`` seconds: the person is answered once whatever was down comes back.
    """

    def __init__(self, first_pause: float = 5.0, max_pause: float = 300.0) -> None:
        self.first_pause, self.max_pause = first_pause, max_pause
        self._in_flight: Set[int] = set()
        self._failed: Dict[int, Tuple[int, float]] = {}  # inbound id -> (failures, monotonic due time)

    def start(self, inbound_id: int) -> bool:
        """Claim a message for a turn; False when a turn for it is already running."""
        if inbound_id in self._in_flight:
            return False
        self._in_flight.add(inbound_id)
        return True

    def due(self, inbound_ids: Iterable[int]) -> List[int]:
        """Those of these (unprocessed) messages that nobody works on and that may be tried now."""
        now = time.monotonic()
        return [i for i in inbound_ids if i not in self._in_flight and self._failed.get(i, (0, 0.0))[1] <= now]

    def succeeded(self, inbound_id: int) -> None:
        self._in_flight.discard(inbound_id)
        self._failed.pop(inbound_id, None)

    def failed(self, inbound_id: int) -> Tuple[int, float]:
        """Record a failed turn; how many times it failed and the pause before the next try."""
        self._in_flight.discard(inbound_id)
        failures = self._failed.get(inbound_id, (0, 0.0))[0] + 1
        pause = min(self.max_pause, self.first_pause * 2 ** (failures - 1))
        self._failed[inbound_id] = (failures, time.monotonic() + pause)
        return failures, pause
