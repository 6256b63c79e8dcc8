"""Flood limits of the public web chat: per client address, per conversation and for the whole line.

The web chat is open to anyone, and every message runs a full turn; an emergency message opens a
priority-1 request for a counselor. Without limits one script could bury real people in the
queue (rotating conversation ids defeats a per-conversation limit alone). So:

* per client address: new conversations and messages in a sliding window, and open streams;
* per conversation: messages in a sliding window (someone typing fast);
* for the whole line: new conversations and messages per minute, and open streams, so that even
  a flood from many addresses cannot take every turn the line can run.

Memory is bounded: each window keeps at most ``MAX_TRACKED`` keys and forgets the least recently
seen. The client address is the socket's peer, or, behind a reverse proxy, the header the proxy
sets (``HOTLINE_CLIENT_ADDRESS_HEADER``, e.g. ``X-Real-IP``; the proxy must overwrite it). It is
kept in memory only, as a keyed hash, never stored or logged.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Dict, Optional

from bot.sliding_window import MAX_TRACKED, SlidingWindow


@dataclass(frozen=True)
class Limits:
    """The numbers (per window in seconds), chosen for people, not scripts."""

    conversation_messages: int = 8  # per conversation per 30 s
    # Per client address: generous, since many people can share one (a shelter's wifi, a mobile
    # carrier's address translation), yet far below what a script sends.
    address_messages: int = 60  # per client address per 60 s
    address_new_conversations: int = 10  # per client address per 10 min
    line_messages: int = 600  # per minute for the whole line
    line_new_conversations: int = 120  # per minute for the whole line
    address_streams: int = 10  # open at once per client address
    line_streams: int = 1000  # open at once for the whole line


# Why a message or a stream is refused (error codes the page words).
TOO_FAST = "too_many"
LINE_BUSY = "busy"


class WebChatLimits:
    """Decides, before any work is done, whether a message or a stream may go ahead."""

    def __init__(self, limits: Limits = Limits(), max_keys: int = MAX_TRACKED) -> None:
        self.limits = limits
        self._conversation = SlidingWindow(limits.conversation_messages, 30.0, max_keys)
        self._address = SlidingWindow(limits.address_messages, 60.0, max_keys)
        self._address_new = SlidingWindow(limits.address_new_conversations, 600.0, max_keys)
        self._line = SlidingWindow(limits.line_messages, 60.0, 1)
        self._line_new = SlidingWindow(limits.line_new_conversations, 60.0, 1)
        self._known = SlidingWindow(1 << 30, 3600.0, max_keys)  # conversations seen in the last hour
        self._streams: Dict[str, int] = {}
        self._open_streams = 0
        self._salt = hashlib.sha256(str(time.time_ns()).encode()).digest()

    def client(self, address: str) -> str:
        """A keyed hash of the client address: recognisable in memory, useless if dumped."""
        return hashlib.blake2b(address.encode(), key=self._salt[:32], digest_size=16).hexdigest()

    def message(self, client: str, conversation: str, now: Optional[float] = None) -> Optional[str]:
        """Count a message (and a new conversation, if it starts one), or say why it is refused."""
        now = time.monotonic() if now is None else now
        new = conversation not in self._known
        if not self._conversation.allows(conversation, now) or not self._address.allows(client, now):
            return TOO_FAST
        if new and not self._address_new.allows(client, now):
            return TOO_FAST
        if not self._line.allows("line", now) or (new and not self._line_new.allows("line", now)):
            return LINE_BUSY
        for window, key in ((self._conversation, conversation), (self._address, client), (self._line, "line"),
                            (self._known, conversation)):
            window.count(key, now)
        if new:
            self._address_new.count(client, now)
            self._line_new.count("line", now)
        return None

    def open_stream(self, client: str) -> Optional[str]:
        if self._streams.get(client, 0) >= self.limits.address_streams:
            return TOO_FAST
        if self._open_streams >= self.limits.line_streams:
            return LINE_BUSY
        self._streams[client] = self._streams.get(client, 0) + 1
        self._open_streams += 1
        return None

    def close_stream(self, client: str) -> None:
        left = self._streams.get(client, 0) - 1
        if left > 0:
            self._streams[client] = left
        else:
            self._streams.pop(client, None)
        self._open_streams = max(0, self._open_streams - 1)

    def tracked_keys(self) -> int:
        """How many keys the windows hold (bounded: what a flood of new ids cannot grow)."""
        return sum(len(w) for w in (self._conversation, self._address, self._address_new, self._known)) + len(self._streams)
