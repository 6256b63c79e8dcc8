"""A person's messages machine-translated for counselors, kept sealed so each is translated once.

A translation is stored with its message (``message_translations``, erased with the
conversation); so is a lasting refusal (degenerate output, a number lost), so the console says
why there is none. A time-out or a failure is not stored: the next look tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.crypto import Sealer
from bot.storage.db import new_session
from bot.storage.models import MessageTranslation
from bot.translation.engine import MachineTranslator, Problem, Translation

TRANSIENT = (Problem.TIMED_OUT, Problem.FAILED)


@dataclass(frozen=True)
class ShownTranslation:
    """What the console shows under a message: the translation, or why there is none."""

    inbound_id: int
    language: str
    text: Optional[str]
    problem: Optional[str] = None


def stored_translations(url: str, sealer: Sealer, inbound_ids: Sequence[int], language: str) -> Dict[int, ShownTranslation]:
    if not inbound_ids:
        return {}
    with new_session(url) as session:
        rows = session.execute(
            select(MessageTranslation).where(MessageTranslation.inbound_id.in_(list(inbound_ids)), MessageTranslation.language == language)
        ).scalars().all()
    return {
        row.inbound_id: ShownTranslation(row.inbound_id, language, sealer.open(row.body_sealed) if row.body_sealed else None, row.problem)
        for row in rows
    }


def _store(url: str, sealer: Sealer, conversation_key: str, inbound_id: int, translation: Translation) -> ShownTranslation:
    shown = ShownTranslation(inbound_id, translation.target_language, translation.text, translation.problem.value if translation.problem else None)
    if translation.problem in TRANSIENT:
        return shown
    with new_session(url) as session:
        session.add(
            MessageTranslation(
                conversation_key=conversation_key,
                inbound_id=inbound_id,
                language=translation.target_language,
                body_sealed=sealer.seal(translation.text) if translation.text is not None else None,
                problem=shown.problem,
            )
        )
        try:
            session.commit()
        except IntegrityError:  # translated meanwhile by another console process: theirs stands
            session.rollback()
    return shown


async def translate_messages(
    url: str, sealer: Sealer, translator: MachineTranslator, conversation_key: str,
    messages: Sequence[Tuple[int, str]], source: str, target: str,
) -> List[ShownTranslation]:
    """Translate ``messages`` (inbound id, text) one after the other, storing each as it comes."""
    import asyncio

    shown: List[ShownTranslation] = []
    for inbound_id, text in messages:
        translation = await translator.translate(text, source, target)
        shown.append(await asyncio.to_thread(_store, url, sealer, conversation_key, inbound_id, translation))
    return shown
