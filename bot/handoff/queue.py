"""The escalation queue: who is waiting, in what order, and which counselor has whom.

One escalation row per handover of a conversation (``bot.handoff.escalation.escalate`` opens it), with a
small state machine::

    (bot) --escalate--> queued --claim--> with_counselor --close--> closed
                          ^                 |  |
                          +--to the queue---+  +--return to the bot--> returned
    queued --(silence or closed by a supervisor)--> closed

While an escalation is open (queued or with a counselor) the bot stays quiet and only safety
acts (``bot.dialogue.safety_policy``). Order: priority (1 = danger ... 5), then ``ranked_at``: the
arrival time, moved earlier by the strength of the danger evidence (a score of 1.0 counts as ten
minutes more of waiting, ``bot.handoff.escalation.ranked_time``), so within "Danger" a gun held
now comes before a vaguer fear that arrived a little earlier, and nobody is passed for ever. Both
are kept when a conversation goes back to the queue. Routing by language:
a counselor sees at once the conversations in the languages they answer in, and the others only
after ``routing_grace_s`` (nobody who speaks the language took it). Claiming is atomic: on
PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, on SQLite with a conditional update (SQLite
has one writer at a time); exactly one of two counselors clicking at once gets the conversation.

Waits are real: a position counts the open requests ahead; the estimate divides it by the rate
at which counselors actually took conversations in the last hour, and there is no estimate when
too few were taken to say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.crypto import Sealer
from bot.storage.db import new_session
from bot.storage.models import Escalation, utcnow


class QueueState(str, Enum):
    """Where a request for a counselor is. The ``handoff`` slot of a conversation holds the same
    names while it is open (queued, then with_counselor)."""

    QUEUED = "queued"
    WITH_COUNSELOR = "with_counselor"
    CLOSED = "closed"
    RETURNED = "returned"  # to the bot, by the counselor


# As stored in the ``escalations.status`` column (plain strings for every database driver).
QUEUED, WITH_COUNSELOR, CLOSED, RETURNED = (state.value for state in QueueState)
OPEN_STATUSES = (QUEUED, WITH_COUNSELOR)
RATE_WINDOW = timedelta(hours=1)
MIN_CLAIMS_FOR_ESTIMATE = 2


@dataclass(frozen=True)
class QueueItem:
    """What the queue view shows of one escalation (no message text, no address)."""

    id: int
    conversation_id: str
    status: str
    channel: str
    language: str
    jurisdiction: Optional[str]
    hotline_number: Optional[str]
    priority: int
    reason: str
    danger: bool
    child_mentioned: bool
    indicators: Tuple[str, ...]
    queued_at: datetime
    ranked_at: datetime
    claimed_at: Optional[datetime]
    counselor_id: Optional[int]
    last_person_at: Optional[datetime]
    wait_notice_at: Optional[datetime] = None
    wait_notice_position: Optional[int] = None
    danger_score: float = 0.0
    returning: bool = False  # the same conversation was handed to a counselor before
    translation_off: bool = False  # a counselor turned machine translation off for it

    def waited_seconds(self, now: Optional[datetime] = None) -> float:
        return max(0.0, ((now or utcnow()) - self.queued_at).total_seconds())

    def as_dict(self, now: Optional[datetime] = None) -> Dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "channel": self.channel,
            "language": self.language,
            "jurisdiction": self.jurisdiction,
            "priority": self.priority,
            "reason": self.reason,
            "danger": self.danger,
            "child_mentioned": self.child_mentioned,
            "indicators": list(self.indicators),
            "waited_seconds": round(self.waited_seconds(now)),
            "danger_score": self.danger_score,
            "returning": self.returning,
            "counselor_id": self.counselor_id,
        }


def item_of(row: Any, returning: bool = False) -> QueueItem:
    """A queue item from an escalation (a model instance or a row with the same column names)."""
    summary = row.summary or {}
    return QueueItem(
        id=row.id,
        conversation_id=row.conversation_id,
        status=row.status,
        channel=row.channel,
        language=row.language,
        jurisdiction=row.jurisdiction,
        hotline_number=row.hotline_number,
        priority=row.priority,
        reason=row.reason,
        danger=bool(summary.get("danger")),
        child_mentioned=bool(summary.get("child_mentioned")),
        indicators=tuple(item.get("key", "") for item in summary.get("indicators") or [] if item.get("key")),
        queued_at=row.queued_at or row.created_at,
        ranked_at=row.ranked_at or row.queued_at or row.created_at,
        claimed_at=row.claimed_at,
        counselor_id=row.counselor_id,
        last_person_at=row.last_person_at,
        wait_notice_at=row.wait_notice_at,
        wait_notice_position=row.wait_notice_position,
        danger_score=float(summary.get("danger_score") or 0.0),
        returning=returning,
        translation_off=bool(getattr(row, "translation_off", False)),
    )


def _queue_order():
    return (Escalation.priority, Escalation.ranked_at, Escalation.id)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# ---------------------------------------------------------------- reading
def open_versions(url: str) -> Dict[int, datetime]:
    """Every open escalation's id and last change (cheap: the live queue rereads only what changed)."""
    with new_session(url) as session:
        return dict(
            session.execute(select(Escalation.id, Escalation.updated_at).where(Escalation.status.in_(OPEN_STATUSES))).all()
        )


def queue_order(item: QueueItem) -> Tuple[int, datetime, int]:
    return item.priority, item.ranked_at, item.id


_ITEM_COLUMNS = tuple(
    getattr(Escalation, name)
    for name in (
        "id", "conversation_id", "status", "channel", "language", "jurisdiction", "hotline_number", "priority",
        "reason", "summary", "queued_at", "ranked_at", "created_at", "claimed_at", "counselor_id", "last_person_at",
        "wait_notice_at", "wait_notice_position", "translation_off",
    )
)


def _returning() -> Any:
    """Whether the row's conversation had an earlier request for a counselor that ended (in the same query)."""
    earlier = aliased(Escalation)
    return (
        select(earlier.id)
        .where(earlier.conversation_id == Escalation.conversation_id, earlier.status.in_((CLOSED, RETURNED)))
        .exists()
        .label("handed_over_before")
    )


def _items(url: str, *conditions: Any) -> List[QueueItem]:
    """Queue items read as plain rows (the live queue reads a thousand of these several times a second)."""
    with new_session(url) as session:
        rows = session.execute(select(*_ITEM_COLUMNS, _returning()).where(*conditions).order_by(*_queue_order())).all()
    return [item_of(row, bool(row.handed_over_before)) for row in rows]


@dataclass(frozen=True)
class PastRequest:
    """An earlier request of the same conversation, as a returning person's history shows it."""

    id: int
    queued_at: datetime
    closed_at: Optional[datetime]
    closed_reason: Optional[str]
    outcome: Optional[str]
    follow_up: bool
    counselor_id: Optional[int]
    priority: int


def earlier_requests(url: str, conversation_id: str, before_id: int) -> List[PastRequest]:
    """The conversation's earlier requests for a counselor that ended, newest first (whatever
    retention has kept: ``bot.retention`` erases them with the conversation)."""
    with new_session(url) as session:
        rows = session.execute(
            select(Escalation)
            .where(Escalation.conversation_id == conversation_id, Escalation.id < before_id, Escalation.status.in_((CLOSED, RETURNED)))
            .order_by(Escalation.id.desc())
        ).scalars().all()
        return [
            PastRequest(
                row.id, row.queued_at or row.created_at, row.closed_at, row.closed_reason,
                (row.wrapup or {}).get("outcome"), bool((row.wrapup or {}).get("follow_up")), row.counselor_id, row.priority,
            )
            for row in rows
        ]


def evidence_of(summary: Dict[str, Any], limit: int = 3) -> Tuple[str, ...]:
    """The person's words that put a request where it is in the queue: what weighed most in the
    message that raised danger (or a concern), else the words behind the signs of exploitation."""
    for moment in summary.get("danger_moments") or []:
        words = [word for word in moment.get("words") or [] if word]
        if words:
            return tuple(words[:limit])
        if moment.get("text"):
            return (_shortened(moment["text"]),)
    return tuple(dict.fromkeys(item["evidence"] for item in summary.get("indicators") or [] if item.get("evidence")))[:limit]


def _shortened(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def evidence(url: str, sealer: Sealer, ids: Sequence[int]) -> Dict[int, Tuple[str, ...]]:
    """The evidence (:func:`evidence_of`) of these escalations, opened from their sealed summaries."""
    found: Dict[int, Tuple[str, ...]] = {}
    ids = list(ids)
    with new_session(url) as session:
        for start in range(0, len(ids), 500):
            for escalation_id, sealed in session.execute(
                select(Escalation.id, Escalation.summary_sealed).where(Escalation.id.in_(ids[start:start + 500]))
            ).all():
                found[escalation_id] = evidence_of(json.loads(sealer.open(sealed))) if sealed else ()
    return found


def items(url: str, ids: Sequence[int]) -> List[QueueItem]:
    """These escalations, in queue order."""
    found: List[QueueItem] = []
    ids = list(ids)
    for start in range(0, len(ids), 500):
        found += _items(url, Escalation.id.in_(ids[start:start + 500]))
    return sorted(found, key=queue_order)


def waiting(url: str) -> List[QueueItem]:
    """Every queued escalation in the queue's order (priority, then arrival moved earlier by evidence)."""
    return _items(url, Escalation.status == QUEUED)


def assigned_to(url: str, counselor_id: Optional[int] = None) -> List[QueueItem]:
    """Conversations with a counselor (one counselor's, or everyone's when ``counselor_id`` is None)."""
    if counselor_id is None:
        return _items(url, Escalation.status == WITH_COUNSELOR)
    return _items(url, Escalation.status == WITH_COUNSELOR, Escalation.counselor_id == counselor_id)


def get(url: str, escalation_id: int) -> Optional[QueueItem]:
    found = _items(url, Escalation.id == escalation_id)
    return found[0] if found else None


def set_translation_off(url: str, escalation_id: int, off: bool) -> bool:
    """Turn machine translation off (or on again) for one conversation's request; False if gone."""
    with new_session(url) as session:
        changed = session.execute(update(Escalation).where(Escalation.id == escalation_id).values(translation_off=off)).rowcount
        session.commit()
    return bool(changed)


def summary_of(url: str, sealer: Sealer, escalation_id: int) -> Dict[str, Any]:
    """The handoff summary the bot gathered (indicators with evidence, screening, what it said)."""
    with new_session(url) as session:
        row = session.get(Escalation, escalation_id)
        if row is None:
            return {}
        return json.loads(sealer.open(row.summary_sealed)) if row.summary_sealed else dict(row.summary or {})


def open_row(session: Session, conversation_id: str) -> Optional[Escalation]:
    """The conversation's open escalation row (queued or with a counselor), in ``session``."""
    return session.execute(
        select(Escalation)
        .where(Escalation.conversation_id == conversation_id, Escalation.status.in_(OPEN_STATUSES))
        .order_by(Escalation.id.desc())
    ).scalars().first()


def open_for(url: str, conversation_id: str) -> Optional[QueueItem]:
    """The conversation's open escalation (queued or with a counselor), if any."""
    with new_session(url) as session:
        row = open_row(session, conversation_id)
        return item_of(row) if row is not None else None


def visible_to(item: QueueItem, languages: Iterable[str], routing_grace_s: float, now: Optional[datetime] = None) -> bool:
    """Language routing: in the counselor's languages at once, otherwise after the grace period."""
    return item.language in set(languages) or item.waited_seconds(now) >= routing_grace_s


def offered_to(
    items: Sequence[QueueItem], languages: Iterable[str], routing_grace_s: float, now: Optional[datetime] = None
) -> List[QueueItem]:
    """The queue as one counselor is offered it (order kept)."""
    spoken = set(languages)
    return [item for item in items if visible_to(item, spoken, routing_grace_s, now)]


def position(url: str, escalation_id: int) -> Optional[int]:
    """1 for the next to be taken; None when the escalation is not queued."""
    with new_session(url) as session:
        row = session.get(Escalation, escalation_id)
        if row is None or row.status != QUEUED:
            return None
        ahead = session.execute(
            select(func.count(Escalation.id)).where(
                Escalation.status == QUEUED,
                or_(
                    Escalation.priority < row.priority,
                    and_(Escalation.priority == row.priority, Escalation.ranked_at < row.ranked_at),
                    and_(
                        Escalation.priority == row.priority,
                        Escalation.ranked_at == row.ranked_at,
                        Escalation.id < row.id,
                    ),
                ),
            )
        ).scalar_one()
        return int(ahead) + 1


def estimated_wait_seconds(url: str, place: int, now: Optional[datetime] = None) -> Optional[float]:
    """Place divided by the rate counselors took conversations in the last hour; None if unknown."""
    now = now or utcnow()
    with new_session(url) as session:
        claims = session.execute(
            select(func.count(Escalation.id)).where(Escalation.claimed_at >= now - RATE_WINDOW)
        ).scalar_one()
    if claims < MIN_CLAIMS_FOR_ESTIMATE:
        return None
    per_second = claims / RATE_WINDOW.total_seconds()
    return place / per_second


# ----------------------------------------------------------- transitions
def _take_locked(session: Session, conditions: Sequence[Any], counselor_id: int, now: datetime) -> Optional[int]:
    """PostgreSQL: lock the first queued row matching ``conditions`` that no other claim holds
    (``FOR UPDATE SKIP LOCKED``: never waits), give it to the counselor and commit; its id."""
    row = session.execute(
        select(Escalation)
        .where(Escalation.status == QUEUED, *conditions)
        .order_by(*_queue_order())
        .limit(1)
        .with_for_update(skip_locked=True)
    ).scalars().first()
    if row is None:
        session.rollback()
        return None
    row.status, row.counselor_id, row.claimed_at = WITH_COUNSELOR, counselor_id, now
    session.commit()
    return int(row.id)


def claim(url: str, escalation_id: int, counselor_id: int, now: Optional[datetime] = None) -> bool:
    """Take a queued conversation; False when someone else has it (or it is no longer queued)."""
    now = now or utcnow()
    with new_session(url) as session:
        if _is_postgres(session):
            return _take_locked(session, [Escalation.id == escalation_id], counselor_id, now) is not None
        taken = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == QUEUED)
            .values(status=WITH_COUNSELOR, counselor_id=counselor_id, claimed_at=now, updated_at=now)
        ).rowcount
        session.commit()
        return bool(taken)


def claim_next(
    url: str, counselor_id: int, languages: Iterable[str], routing_grace_s: float, now: Optional[datetime] = None
) -> Optional[int]:
    """Take the most urgent conversation offered to this counselor; its id, or None."""
    now = now or utcnow()
    spoken = list(languages)
    offered = or_(Escalation.language.in_(spoken), Escalation.queued_at <= now - timedelta(seconds=routing_grace_s))
    with new_session(url) as session:
        if _is_postgres(session):
            return _take_locked(session, [offered], counselor_id, now)
    for candidate in offered_to(waiting(url), spoken, routing_grace_s, now):  # SQLite: first one we win
        if claim(url, candidate.id, counselor_id, now):
            return candidate.id
    return None


def _move(url: str, escalation_id: int, allowed_from: Sequence[str], **values: Any) -> bool:
    with new_session(url) as session:
        moved = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status.in_(list(allowed_from)))
            .values(updated_at=utcnow(), **values)
        ).rowcount
        session.commit()
        return bool(moved)


def transfer(url: str, escalation_id: int, to_counselor_id: int, now: Optional[datetime] = None) -> bool:
    """Hand a conversation to a colleague (also how a supervisor reassigns, or assigns from the queue)."""
    return _move(
        url, escalation_id, OPEN_STATUSES, status=WITH_COUNSELOR, counselor_id=to_counselor_id, claimed_at=now or utcnow()
    )


def back_to_queue(url: str, escalation_id: int) -> bool:
    """Put a conversation back in the queue; it keeps its place (``queued_at``, ``ranked_at``) and priority."""
    return _move(url, escalation_id, (WITH_COUNSELOR,), status=QUEUED, counselor_id=None, claimed_at=None)


def return_to_bot(url: str, escalation_id: int, now: Optional[datetime] = None) -> bool:
    """The bot answers this conversation again (the handoff is over without a close-out)."""
    return _move(url, escalation_id, OPEN_STATUSES, status=RETURNED, closed_at=now or utcnow(), closed_reason="returned")


def wrapup_categories(wrapup: Dict[str, Any]) -> Dict[str, Any]:
    """What of a wrap-up may be stored in clear (for reports): the outcome and the follow-up."""
    return {key: wrapup[key] for key in ("outcome", "follow_up") if key in wrapup}


def close(
    url: str,
    sealer: Sealer,
    escalation_id: int,
    wrapup: Dict[str, Any],
    reason: str = "counselor",
    now: Optional[datetime] = None,
) -> bool:
    """Close with the wrap-up (outcome, referral, follow-up); the line never writes first afterwards.

    The wrap-up is stored sealed; in clear only its outcome and follow-up (for reports)."""
    categories = wrapup_categories(wrapup)
    return _move(
        url, escalation_id, OPEN_STATUSES, status=CLOSED, closed_at=now or utcnow(), closed_reason=reason,
        wrapup=categories, wrapup_sealed=sealer.seal(json.dumps(wrapup)),
    )


def silent_since(url: str, silence_s: float, now: Optional[datetime] = None) -> List[QueueItem]:
    """Conversations with a counselor where the person has written nothing for ``silence_s``
    seconds, counting from the later of their last message and the claim. (People still waiting
    in the queue are never closed for silence: they are waiting for us.)"""
    cutoff = (now or utcnow()) - timedelta(seconds=silence_s)
    with new_session(url) as session:
        rows = session.execute(
            select(Escalation).where(
                Escalation.status == WITH_COUNSELOR,
                func.coalesce(Escalation.last_person_at, Escalation.queued_at) < cutoff,
                Escalation.claimed_at < cutoff,
            )
        ).scalars()
        return [item_of(row) for row in rows]


def record_wait_notice(url: str, escalation_id: int, place: Optional[int] = None, now: Optional[datetime] = None) -> None:
    """Remember when, and at which place (by default: where they stand now), the person was last
    told about their wait. This column is the one clock of wait notices: the bot's and the
    console sweeper's (``bot.handoff.notices``)."""
    if place is None:
        place = position(url, escalation_id)
    with new_session(url) as session:
        session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id)
            .values(wait_notice_at=now or utcnow(), wait_notice_position=place)
        )
        session.commit()


def take_wait_notice(
    url: str, escalation_id: int, last_at: Optional[datetime], place: int, now: Optional[datetime] = None
) -> bool:
    """Record a new wait notice only if nobody recorded one since ``last_at`` (two console servers
    sweeping at once send it once)."""
    unchanged = Escalation.wait_notice_at.is_(None) if last_at is None else Escalation.wait_notice_at == last_at
    with new_session(url) as session:
        taken = session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, unchanged)
            .values(wait_notice_at=now or utcnow(), wait_notice_position=place)
        ).rowcount
        session.commit()
        return bool(taken)


def wait_notice_due(
    last_at: Optional[datetime], last_place: Optional[int], place: int, interval_s: float, now: Optional[datetime] = None
) -> bool:
    """A new wait notice is worth sending: the place changed meaningfully and none was sent lately.

    Meaningfully: next in line now, or at least half-way closer than at the last notice. Never more
    often than ``interval_s`` (SMS costs money and can be seen by others).
    """
    if last_at is None or last_place is None:
        return True
    if ((now or utcnow()) - last_at).total_seconds() < interval_s:
        return False
    return place < last_place and (place == 1 or place <= last_place / 2)


def load(url: str, now: Optional[datetime] = None) -> Dict[str, Any]:
    """For supervisors: how many wait, the longest wait, and how many conversations each counselor has."""
    now = now or utcnow()
    queued = waiting(url)
    return {
        "waiting": len(queued),
        "longest_wait_seconds": round(max((item.waited_seconds(now) for item in queued), default=0.0)),
        "by_priority": {p: sum(1 for item in queued if item.priority == p) for p in sorted({i.priority for i in queued})},
        "conversations_per_counselor": conversations_per_counselor(url),
    }


def conversations_per_counselor(url: str) -> Dict[int, int]:
    """How many conversations each counselor holds now."""
    with new_session(url) as session:
        rows = session.execute(
            select(Escalation.counselor_id, func.count(Escalation.id))
            .where(Escalation.status == WITH_COUNSELOR)
            .group_by(Escalation.counselor_id)
        ).all()
    return {int(k): int(v) for k, v in rows if k is not None}
