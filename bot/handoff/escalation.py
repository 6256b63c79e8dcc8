"""Escalation: the one way a conversation is handed to a human counselor.

:func:`escalate` records (or raises the priority of) the open request for a conversation, with
language, jurisdiction and a handoff summary. ``bot.handoff.queue`` moves the rows through the
queue; ``bot.erasure`` deletes them with the rest of a conversation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, Dict, List, Optional

from bot.crypto import Sealer
from bot.handoff.queue import QUEUED, open_row
from bot.storage.db import new_session
from bot.storage.models import Escalation, utcnow


class Priority(IntEnum):
    """Queue priority; the lowest number is served first."""

    EMERGENCY = 1
    CHILD = 2
    # A concern (not immediate danger, but raised by the danger model or a danger cue) ranks with a
    # child at risk: above signs of exploitation, below an emergency.
    CONCERN = 2
    INDICATORS = 3
    REQUESTED = 4
    OTHER = 5


# How far strong evidence moves a request ahead of others of its priority: a danger score of 1.0
# counts as having waited this much longer. Nobody is passed for ever: a weaker request that has
# waited longer than the difference still comes first.
EVIDENCE_HEADSTART = timedelta(minutes=10)
MAX_DANGER_MOMENTS = 3  # the messages that raised danger (or a concern) a counselor sees quoted


@dataclass
class HandoffSummary:
    """What a counselor sees first: what the person told the bot and what the bot told them."""

    danger: bool = False
    concern: bool = False
    child_mentioned: bool = False
    indicators: List[Dict[str, Any]] = field(default_factory=list)
    screening: Dict[str, str] = field(default_factory=dict)
    bot_told: List[str] = field(default_factory=list)
    # the highest danger score of the conversation's messages, and the messages that raised danger
    # or a concern: {"text", "words" (what weighed most), "score", "danger"}, strongest first
    danger_score: float = 0.0
    danger_moments: List[Dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def flags(self) -> Dict[str, Any]:
        """What may be stored in clear: categories, never the person's words."""
        return flags_of(self.as_dict())


def flags_of(summary: Dict[str, Any]) -> Dict[str, Any]:
    """The categories of a stored summary (danger, concern, a child, indicator names)."""
    return {
        "danger": bool(summary.get("danger")),
        "concern": bool(summary.get("concern")),
        "child_mentioned": bool(summary.get("child_mentioned")),
        "indicators": [{"key": item["key"]} for item in summary.get("indicators") or [] if item.get("key")],
        "danger_score": round(float(summary.get("danger_score") or 0.0), 2),
    }


def ranked_time(queued_at: datetime, summary: HandoffSummary) -> datetime:
    """Where a request stands among those of its priority: its arrival, moved earlier in
    proportion to the strength of the danger evidence (:data:`EVIDENCE_HEADSTART`)."""
    strength = min(1.0, max(0.0, summary.danger_score)) if (summary.danger or summary.concern) else 0.0
    return queued_at - EVIDENCE_HEADSTART * strength


def priority_for(summary: HandoffSummary, requested: bool) -> Priority:
    """Priority from risk: danger, then a child or a concern, then indicators, then a request."""
    if summary.danger:
        return Priority.EMERGENCY
    if summary.child_mentioned or summary.concern:
        return Priority.CHILD
    if summary.indicators:
        return Priority.INDICATORS
    if requested:
        return Priority.REQUESTED
    return Priority.OTHER


def escalate(
    database_url: str,
    sealer: Sealer,
    conversation_id: str,
    *,
    reason: str,
    language: str,
    jurisdiction: Optional[str],
    summary: HandoffSummary,
    requested: bool,
    channel: str = "unknown",
    hotline_number: Optional[str] = None,
) -> Escalation:
    """Record a request for a counselor, or update the conversation's open one.

    An open request keeps its place in the queue (its ``queued_at``) and only ever moves up: in
    priority, and within it by stronger evidence (``ranked_at``, :func:`ranked_time`); its summary
    is replaced by the newer, fuller one. Every call is a message from the
    person, so it also marks them as present (the silence timer starts again). The summary is
    stored sealed; in clear only its categories (:meth:`HandoffSummary.flags`).
    """
    sealed = sealer.seal(json.dumps(summary.as_dict()))
    priority = priority_for(summary, requested)
    now = utcnow()
    with new_session(database_url) as session:
        existing = open_row(session, conversation_id)
        if existing is None:
            existing = Escalation(
                conversation_id=conversation_id,
                channel=channel,
                status=QUEUED,
                priority=int(priority),
                reason=reason,
                language=language,
                jurisdiction=jurisdiction,
                summary=summary.flags(),
                summary_sealed=sealed,
                hotline_number=hotline_number,
                queued_at=now,
                ranked_at=ranked_time(now, summary),
                last_person_at=now,
            )
            session.add(existing)
        else:
            if int(priority) < existing.priority:
                existing.priority = int(priority)
                existing.reason = reason
            ranked = ranked_time(existing.queued_at or now, summary)
            existing.ranked_at = min(existing.ranked_at or ranked, ranked)
            existing.language = language
            existing.jurisdiction = jurisdiction
            existing.summary = summary.flags()
            existing.summary_sealed = sealed
            existing.updated_at = now
            existing.last_person_at = now
        session.commit()
        return existing


def open_escalation(database_url: str, conversation_id: str) -> Optional[Escalation]:
    """The conversation's open request for a counselor, if there is one."""
    with new_session(database_url) as session:
        return open_row(session, conversation_id)
