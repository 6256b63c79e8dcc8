"""Console sign-in sessions: a random token in the cookie, only its hash in the database.

A session is created after the password (``second_factor_done`` False) and completed by the TOTP
code. It ends on sign-out, after ``HOTLINE_CONSOLE_IDLE_TIMEOUT`` seconds without a request,
``HOTLINE_CONSOLE_MAX_SESSION`` seconds after sign-in whatever happens (an unattended console left
open on a live queue does not stay signed in for ever), when the account is disabled, when its
second factor is reset, or when its password changes elsewhere. Each session has its own CSRF token,
compared in constant time on every form and every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Set

from sqlalchemy import delete, update

from bot.storage.db import new_session
from bot.storage.models import ConsoleSession, Counselor, utcnow

COOKIE = "hotline_console"
TOUCH_EVERY = timedelta(seconds=30)  # how precisely the idle timeout is kept


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lives: without a request, and at most after sign-in."""

    idle_s: int
    max_s: int

    def expired(self, row: ConsoleSession, now: datetime) -> bool:
        return now - row.last_seen_at > timedelta(seconds=self.idle_s) or now - row.created_at > timedelta(seconds=self.max_s)


@dataclass(frozen=True)
class SignedIn:
    """The session behind a request."""

    session_id: int
    counselor_id: int
    csrf_token: str
    second_factor_done: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start(url: str, counselor_id: int) -> str:
    """A new half-signed-in session (password accepted); the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with new_session(url) as session:
        session.add(
            ConsoleSession(
                token_hash=_hash(token), counselor_id=counselor_id, csrf_token=secrets.token_urlsafe(24),
                second_factor_done=False,
            )
        )
        session.commit()
    return token


def lookup(url: str, token: Optional[str], limits: SessionLimits, now: Optional[datetime] = None) -> Optional[SignedIn]:
    """The live session for a cookie token (touched), or None: unknown, expired, account disabled."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    with new_session(url) as session:
        row = session.query(ConsoleSession).filter(ConsoleSession.token_hash == _hash(token)).one_or_none()
        if row is None:
            return None
        account = session.get(Counselor, row.counselor_id)
        if account is None or not account.active or limits.expired(row, now):
            session.delete(row)
            session.commit()
            return None
        signed_in = SignedIn(row.id, row.counselor_id, row.csrf_token, bool(row.second_factor_done))
        if now - row.last_seen_at >= TOUCH_EVERY:  # one write per half minute, not one per request
            row.last_seen_at = now
            session.commit()
        return signed_in


def still_valid(url: str, session_id: int, limits: SessionLimits, now: Optional[datetime] = None) -> bool:
    """Whether a session is still live (not ended, account active, not idle too long), for open
    streams, which check again on every tick; checking does not count as activity."""
    now = now or utcnow()
    with new_session(url) as session:
        row = session.get(ConsoleSession, session_id)
        if row is None or limits.expired(row, now):
            return False
        account = session.get(Counselor, row.counselor_id)
        return account is not None and bool(account.active)


def signed_in_counselors(url: str, limits: SessionLimits, now: Optional[datetime] = None) -> Set[int]:
    """The accounts with a live, fully signed-in session: who is on shift now (for handover)."""
    now = now or utcnow()
    with new_session(url) as session:
        rows = session.query(ConsoleSession).filter(ConsoleSession.second_factor_done.is_(True)).all()
        return {row.counselor_id for row in rows if not limits.expired(row, now)}


def complete_second_factor(url: str, session_id: int) -> str:
    """Mark the session fully signed in; a fresh token is issued (the old one stops working)."""
    token = secrets.token_urlsafe(32)
    with new_session(url) as session:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.id == session_id)
            .values(second_factor_done=True, token_hash=_hash(token), csrf_token=secrets.token_urlsafe(24))
        )
        session.commit()
    return token


def end(url: str, session_id: int) -> None:
    with new_session(url) as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))
        session.commit()


def csrf_ok(signed_in: SignedIn, offered: Optional[str]) -> bool:
    return offered is not None and offered != "" and hmac.compare_digest(signed_in.csrf_token, offered)
