"""Who may follow a web chat conversation, and for how long: its id is not a permanent password.

* **Stream tokens.** The page follows its conversation with a short-lived token it asks for in a
  POST body (:func:`issue_stream_token`), never with the conversation id in a URL, where proxies
  and browsers keep it. A token names the conversation by its key (an HMAC: nothing to learn
  from it), expires after ``STREAM_TOKEN_SECONDS`` and is signed with the line's key.
* **End chat.** The person can end the conversation (:func:`end`): its id then opens nothing
  any more, not its transcript nor a new message; the page starts afresh.
* **Idle expiry.** A conversation nobody has written in or followed for ``IDLE_SECONDS`` expires
  the same way (a tab reopened on a shared computer an hour later shows nothing). A page that
  stays open asks for a new token every few minutes, so a person waiting for a counselor keeps
  their conversation and their place.
"""

from __future__ import annotations

import hmac
import time
from datetime import timedelta
from typing import Optional

from sqlalchemy import update

from bot.crypto import Sealer
from bot.storage.db import new_session
from bot.storage.models import ChannelAddress, utcnow

STREAM_TOKEN_SECONDS = 600
IDLE_SECONDS = 30 * 60

OPEN, ENDED, EXPIRED = "open", "ended", "expired"


def state(url: str, conversation_key: str, idle_s: int = IDLE_SECONDS) -> str:
    """``open`` (also when nothing was written yet), ``ended`` or ``expired``."""
    with new_session(url) as session:
        row = session.get(ChannelAddress, conversation_key)
        if row is None:
            return OPEN
        if row.ended_at is not None:
            return ENDED
        last = max(moment for moment in (row.last_inbound_at, row.last_seen_at, row.created_at) if moment is not None)
        return EXPIRED if utcnow() - last > timedelta(seconds=idle_s) else OPEN


def seen(url: str, conversation_key: str) -> None:
    """The person's page is following the conversation (it stays alive)."""
    with new_session(url) as session:
        session.execute(update(ChannelAddress).where(ChannelAddress.conversation_key == conversation_key).values(last_seen_at=utcnow()))
        session.commit()


def end(url: str, conversation_key: str) -> bool:
    """End the conversation for the page: its id opens nothing any more."""
    with new_session(url) as session:
        ended = session.execute(
            update(ChannelAddress).where(ChannelAddress.conversation_key == conversation_key, ChannelAddress.ended_at.is_(None))
            .values(ended_at=utcnow())
        ).rowcount
        session.commit()
        return bool(ended)


def issue_stream_token(sealer: Sealer, conversation_key: str, now: Optional[float] = None) -> str:
    expires = int((now if now is not None else time.time()) + STREAM_TOKEN_SECONDS)
    payload = f"{expires}.{conversation_key}"
    return f"{payload}.{sealer.fingerprint('stream-token', payload)[:32]}"


def stream_token_key(sealer: Sealer, token: str, now: Optional[float] = None) -> Optional[str]:
    """The conversation key a valid, unexpired token names; None otherwise."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(token) > 200:
        return None
    expires, key, signature = parts
    expected = sealer.fingerprint("stream-token", f"{expires}.{key}")[:32]
    if not hmac.compare_digest(signature, expected):
        return None
    if int(expires) < (now if now is not None else time.time()):
        return None
    return key
