"""Counselors' internal notes on an escalation: written in the console, never sent to the person,
sealed at rest, erased with the conversation (``bot.erasure``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List

from bot.crypto import Sealer
from bot.storage.db import new_session
from bot.storage.models import CaseNote

MAX_NOTE_CHARS = 4000


@dataclass(frozen=True)
class Note:
    counselor_id: int
    at: datetime
    text: str


def add_note(url: str, sealer: Sealer, escalation_id: int, counselor_id: int, text: str) -> None:
    """Store one note (at most ``MAX_NOTE_CHARS``; longer text is refused, not cut)."""
    if not text or len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"a note has 1 to {MAX_NOTE_CHARS} characters")
    with new_session(url) as session:
        session.add(CaseNote(escalation_id=escalation_id, counselor_id=counselor_id, body_sealed=sealer.seal(text)))
        session.commit()


def notes_of(url: str, sealer: Sealer, escalation_id: int) -> List[Note]:
    """The escalation's notes, oldest first, opened."""
    with new_session(url) as session:
        rows = session.query(CaseNote).filter(CaseNote.escalation_id == escalation_id).order_by(CaseNote.id).all()
        return [Note(row.counselor_id, row.created_at, sealer.open(row.body_sealed)) for row in rows]
