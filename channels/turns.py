"""One bot turn for a stored message, shared by the channels that keep a durable inbox.

``take_turn`` runs the turn unless Rasa already saved it (a crash between Rasa saving the turn
and the channel storing the replies): then the replies are read back from the tracker, so a
message is never answered twice.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

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
