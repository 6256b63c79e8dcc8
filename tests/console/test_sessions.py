"""Console sessions end when idle, at their absolute lifetime, on sign-out and when the account is disabled."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.db import new_session
from bot.storage.models import ConsoleSession, utcnow
from console import accounts, sessions
from console.sessions import SessionLimits

LIMITS = SessionLimits(idle_s=1800, max_s=12 * 3600)


def signed_in(url: str, sealer) -> tuple:
    created = accounts.create_counselor(url, sealer, "nora", "Nora", "counselor", "en")
    token = sessions.start(url, created.counselor.id)
    return created.counselor.id, token


def test_a_session_in_use_still_ends_at_its_absolute_lifetime(database_url: str, sealer) -> None:
    _, token = signed_in(database_url, sealer)
    now = utcnow()
    for minute in range(20, 12 * 60, 20):  # used all day long: never idle
        assert sessions.lookup(database_url, token, LIMITS, now=now + timedelta(minutes=minute)) is not None
    assert sessions.lookup(database_url, token, LIMITS, now=now + timedelta(hours=12, minutes=1)) is None
    with new_session(database_url) as session:
        assert session.query(ConsoleSession).count() == 0  # and it is gone


def test_an_open_page_checking_its_session_does_not_keep_it_alive(database_url: str, sealer) -> None:
    _, token = signed_in(database_url, sealer)
    live = sessions.lookup(database_url, token, LIMITS)
    now = utcnow()
    for minute in range(0, 30, 2):  # a stream checks every few seconds; nobody clicks
        assert sessions.still_valid(database_url, live.session_id, LIMITS, now=now + timedelta(minutes=minute))
    assert not sessions.still_valid(database_url, live.session_id, LIMITS, now=now + timedelta(minutes=31))
    assert sessions.lookup(database_url, token, LIMITS, now=now + timedelta(minutes=31)) is None
