"""Durable inbox and outbox of every channel: nothing valid is lost, nothing is sent twice.

* :func:`record_inbound` commits a received message before the webhook answers; a provider's
  retry of the same message id is recognised (returns None).
* :func:`complete_turn` stores the bot's replies and marks the message processed in one
  transaction, after Rasa has saved the turn; messages never completed are found again by
  :func:`unprocessed_ids` after a restart.
* Replies wait in the outbox until the provider accepts them (:func:`mark_sent`) or finally fail.

Like every store of the project, these are functions whose first argument is the database URL,
followed by the :class:`~bot.crypto.Sealer` where they read or write sealed text: message bodies,
media references and addresses are stored sealed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot import log_privacy
from bot.crypto import Sealer
from bot.storage.db import new_session
from bot.storage.models import ChannelAddress, InboundMessage, OutboundMessage, SeenMessage, utcnow

WHATSAPP_REPLY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Inbound:
    id: int
    provider_sid: str
    conversation_key: str
    channel: str
    address: str
    hotline_number: str
    text: str
    media: List[Dict[str, str]]


class DeliveryBlock(str, Enum):
    """Why a reply may not go out now: a code, stored with the reply; the console words it."""

    NO_ADDRESS = "no_address"  # the person erased their data, or never wrote on a reply channel
    OPTED_OUT = "opted_out"  # the person replied STOP
    WHATSAPP_WINDOW_CLOSED = "whatsapp_window_closed"  # more than 24 hours since their last message


@dataclass(frozen=True)
class OutboundResult:
    """What became of a counselor's message: the stored parts, and why it was not sent (or None)."""

    ids: List[int]
    blocked: Optional[DeliveryBlock]


@dataclass(frozen=True)
class Outbound:
    id: int
    conversation_key: str
    channel: str
    address: str
    hotline_number: str
    body: str
    attempts: int
    author: str = "bot"  # bot | counselor | line


def record_inbound(
    url: str,
    sealer: Sealer,
    provider_sid: str,
    channel: str,
    address: str,
    hotline_number: str,
    text: str,
    media: Sequence[Dict[str, str]] = (),
) -> Optional[Inbound]:
    """Commit a received message; None when this provider message id was already received."""
    log_privacy.protect(text, address)
    key = sealer.conversation_key(channel, address)
    with new_session(url) as session:
        # Seen before (perhaps in a conversation since erased, whose rows are gone): a replay.
        session.add(SeenMessage(fingerprint=sealer.fingerprint("message", provider_sid)))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return None
        row = InboundMessage(
            provider_sid=provider_sid,
            conversation_key=key,
            body_sealed=sealer.seal(text),
            media_sealed=sealer.seal(json.dumps(list(media))) if media else None,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return None
        known = session.get(ChannelAddress, key)
        if known is None:
            session.add(
                ChannelAddress(
                    conversation_key=key,
                    channel=channel,
                    address_sealed=sealer.seal(address),
                    hotline_number=hotline_number,
                    opted_out=False,
                )
            )
        else:
            known.last_inbound_at = utcnow()
            known.hotline_number = hotline_number
        session.commit()
        return Inbound(row.id, provider_sid, key, channel, address, hotline_number, text, list(media))


def unprocessed_ids(url: str, channels: Sequence[str]) -> List[int]:
    """Ids of the messages of these channels waiting for their turn, oldest first (cheap: no decryption)."""
    with new_session(url) as session:
        return list(
            session.execute(
                select(InboundMessage.id)
                .join(ChannelAddress, ChannelAddress.conversation_key == InboundMessage.conversation_key)
                .where(InboundMessage.processed_at.is_(None), ChannelAddress.channel.in_(channels))
                .order_by(InboundMessage.id)
            ).scalars()
        )


def unprocessed(url: str, sealer: Sealer, ids: Sequence[int]) -> List[Inbound]:
    """These messages, still unprocessed ones only, oldest first."""
    if not ids:
        return []
    with new_session(url) as session:
        rows = session.execute(
            select(InboundMessage, ChannelAddress)
            .join(ChannelAddress, ChannelAddress.conversation_key == InboundMessage.conversation_key)
            .where(InboundMessage.id.in_(list(ids)), InboundMessage.processed_at.is_(None))
            .order_by(InboundMessage.id)
        ).all()
        return [_inbound(sealer, message, address) for message, address in rows]


def _inbound(sealer: Sealer, row: InboundMessage, address: ChannelAddress) -> Inbound:
    media = json.loads(sealer.open(row.media_sealed)) if row.media_sealed else []
    text, reply_to = sealer.open(row.body_sealed), sealer.open(address.address_sealed)
    log_privacy.protect(text, reply_to)  # the turn about to run may log them
    return Inbound(
        row.id,
        row.provider_sid,
        row.conversation_key,
        address.channel,
        reply_to,
        address.hotline_number,
        text,
        media,
    )


def complete_turn(url: str, sealer: Sealer, inbound: Inbound, replies: Sequence[str]) -> List[int]:
    """Store the turn's replies in the outbox and mark the message processed, atomically.

    The reply address comes with the message, so a turn that erased the conversation's
    stored data can still confirm the erasure to the person. Returns no ids when the message
    was already completed (by another worker): a turn's replies are stored once.
    """
    with new_session(url) as session:
        finished = session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == inbound.id, InboundMessage.processed_at.is_(None))
            .values(processed_at=utcnow())
        ).rowcount
        if not finished and session.get(InboundMessage, inbound.id) is not None:
            session.rollback()  # another worker completed this turn first: its replies stand
            return []
        # (a row that is gone was erased by this very turn: its confirmation must still go out)
        ids: List[int] = []
        address_sealed = sealer.seal(inbound.address)
        for text in replies:
            row = OutboundMessage(
                conversation_key=inbound.conversation_key,
                inbound_id=inbound.id,
                channel=inbound.channel,
                address_sealed=address_sealed,
                hotline_number=inbound.hotline_number,
                body_sealed=sealer.seal(text),
                status="pending",
                attempts=0,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        session.commit()
        return ids


def queue_outbound(
    url: str, sealer: Sealer, conversation_key: str, text: str, author: str, counselor_id: Optional[int] = None,
    original: Optional[Tuple[str, str]] = None,
) -> "OutboundResult":
    """A message from a counselor (or a notice of the line) to the person, by their channel.

    ``original``: for a reply sent machine-translated, what the counselor wrote and its language,
    kept (sealed) with the first part for the transcript; the person gets ``text`` only.

    Phone channels: stored pending, in SMS-sized parts; the Twilio channel sends it. Web chat:
    released to the page's stream at once. When the line may not write to this person now
    (STOP, WhatsApp's 24-hour window, erased), it is stored as suppressed and the reason is
    returned, so the counselor is told why it did not go.
    """
    from bot.sms import split_for_sms, split_for_whatsapp

    with new_session(url) as session:
        address = session.get(ChannelAddress, conversation_key)
    if address is None:
        return OutboundResult([], DeliveryBlock.NO_ADDRESS)
    blocked = may_send(url, conversation_key, address.channel)
    if address.channel == "sms":
        parts = split_for_sms(text)
    elif address.channel == "whatsapp":
        parts = split_for_whatsapp(text)
    else:
        parts = [text]
    status = "suppressed" if blocked else ("sent" if address.channel == "web" else "pending")
    with new_session(url) as session:
        ids: List[int] = []
        for part in parts:
            row = OutboundMessage(
                conversation_key=conversation_key,
                channel=address.channel,
                address_sealed=address.address_sealed,
                hotline_number=address.hotline_number,
                body_sealed=sealer.seal(part),
                status=status,
                attempts=0,
                last_error=blocked.value if blocked else None,
                author=author,
                counselor_id=counselor_id,
                original_sealed=sealer.seal(original[0]) if original and not ids else None,
                original_language=original[1] if original and not ids else None,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        session.commit()
    return OutboundResult(ids, blocked)


def last_counselor_message_at(url: str, conversation_key: str) -> Optional[datetime]:
    """When a counselor last wrote to this conversation (None if never)."""
    from sqlalchemy import func

    with new_session(url) as session:
        return session.execute(
            select(func.max(OutboundMessage.created_at)).where(
                OutboundMessage.conversation_key == conversation_key, OutboundMessage.author == "counselor"
            )
        ).scalar_one()


def pending_from_people(url: str, channels: Sequence[str]) -> List[int]:
    """Counselors' messages and the line's notices waiting to be sent, oldest first (the bot's
    own replies are sent by the turn that made them)."""
    with new_session(url) as session:
        return list(
            session.execute(
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.status == "pending",
                    OutboundMessage.channel.in_(channels),
                    OutboundMessage.author != "bot",
                )
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def pending(url: str, channels: Sequence[str]) -> List[int]:
    """Replies of these channels waiting to be sent, oldest first."""
    with new_session(url) as session:
        return list(
            session.execute(
                select(OutboundMessage.id)
                .where(OutboundMessage.status == "pending", OutboundMessage.channel.in_(channels))
                .order_by(OutboundMessage.id)
            ).scalars()
        )


def release_interrupted(url: str) -> int:
    """At start-up: replies a crash left half-sent go back to pending (sent at least once)."""
    with new_session(url) as session:
        result = session.execute(
            update(OutboundMessage).where(OutboundMessage.status == "sending").values(status="pending")
        )
        session.commit()
        return int(result.rowcount)


def claim_outbound(url: str, sealer: Sealer, outbound_id: int) -> Optional[Outbound]:
    """Take a pending reply for sending; None when it is not pending (someone else has it)."""
    with new_session(url) as session:
        claimed = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == outbound_id, OutboundMessage.status == "pending")
            .values(status="sending")
        ).rowcount
        session.commit()
        if not claimed:
            return None
        row = session.get(OutboundMessage, outbound_id)
        return Outbound(
            row.id,
            row.conversation_key,
            row.channel,
            sealer.open(row.address_sealed),
            row.hotline_number,
            sealer.open(row.body_sealed),
            row.attempts,
            row.author or "bot",
        )


def _set(url: str, outbound_id: int, **values) -> None:
    with new_session(url) as session:
        session.execute(update(OutboundMessage).where(OutboundMessage.id == outbound_id).values(**values))
        session.commit()


def mark_sent(url: str, outbound_id: int, provider_sid: str, attempts: int) -> None:
    _set(url, outbound_id, status="sent", provider_sid=provider_sid, attempts=attempts, last_error=None)


def mark_failed(url: str, outbound_id: int, error: str, attempts: int) -> None:
    _set(url, outbound_id, status="failed", last_error=error[:255], attempts=attempts)


def mark_suppressed(url: str, outbound_id: int, reason: DeliveryBlock) -> None:
    _set(url, outbound_id, status="suppressed", last_error=reason.value)


def delivery_states(url: str, outbound_ids: Sequence[int]) -> Dict[int, Tuple[str, Optional[str]]]:
    """Status and last error of these replies (what a counselor watching the transcript sees change)."""
    if not outbound_ids:
        return {}
    with new_session(url) as session:
        rows = session.execute(
            select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.last_error).where(
                OutboundMessage.id.in_(list(outbound_ids))
            )
        ).all()
    return {row.id: (row.status, row.last_error) for row in rows}


def record_delivery(url: str, provider_sid: str, status: str) -> bool:
    """A signed status callback: delivered/undelivered/failed. False when the id is unknown."""
    with new_session(url) as session:
        result = session.execute(
            update(OutboundMessage).where(OutboundMessage.provider_sid == provider_sid).values(status=status)
        )
        session.commit()
        return bool(result.rowcount)


def transcript(
    url: str, sealer: Sealer, conversation_key: str, after_inbound: int, after_outbound: int, limit: int = 200, unsent: bool = False
) -> List[Dict]:
    """The person's messages and the replies already released to them, after a cursor, in time order.

    Entries: ``kind`` person | bot | counselor | line (a notice), ``id``, ``at``, ``text``,
    ``status``, ``error``, ``media`` (the person's attachments); replies also ``original`` and
    ``original_language`` (a counselor's own words when the reply went machine-translated). ``unsent`` adds replies still
    pending, failed or suppressed (what a counselor must see; the person's page never does).
    """
    shown = ("sent", "delivered") + (("pending", "sending", "failed", "undelivered", "suppressed") if unsent else ())
    with new_session(url) as session:
        inbound = session.execute(
            select(InboundMessage)
            .where(InboundMessage.conversation_key == conversation_key, InboundMessage.id > after_inbound)
            .order_by(InboundMessage.id)
            .limit(limit)
        ).scalars().all()
        outbound = session.execute(
            select(OutboundMessage)
            .where(
                OutboundMessage.conversation_key == conversation_key,
                OutboundMessage.id > after_outbound,
                OutboundMessage.status.in_(shown),
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
        ).scalars().all()
    entries = [
        {
            "kind": "person", "id": row.id, "at": row.received_at, "text": sealer.open(row.body_sealed),
            "status": "received", "error": None,
            "media": json.loads(sealer.open(row.media_sealed)) if row.media_sealed else [],
        }
        for row in inbound
    ] + [
        {
            "kind": row.author or "bot", "id": row.id, "at": row.created_at, "text": sealer.open(row.body_sealed),
            "status": row.status, "error": row.last_error, "media": [],
            "original": sealer.open(row.original_sealed) if row.original_sealed else None, "original_language": row.original_language,
        }
        for row in outbound
    ]
    return sorted(entries, key=lambda entry: (entry["at"], entry["kind"] == "bot", entry["id"]))


def set_opted_out(url: str, conversation_key: str, opted_out: bool) -> None:
    with new_session(url) as session:
        session.execute(
            update(ChannelAddress).where(ChannelAddress.conversation_key == conversation_key).values(opted_out=opted_out)
        )
        session.commit()


def may_send(url: str, conversation_key: str, channel: str, now: Optional[datetime] = None) -> Optional[DeliveryBlock]:
    """None when a message may go to this conversation now, else the reason it may not."""
    with new_session(url) as session:
        address = session.get(ChannelAddress, conversation_key)
        if address is None:
            return DeliveryBlock.NO_ADDRESS
        if address.opted_out:
            return DeliveryBlock.OPTED_OUT
        if channel == "whatsapp" and (now or utcnow()) - address.last_inbound_at > WHATSAPP_REPLY_WINDOW:
            return DeliveryBlock.WHATSAPP_WINDOW_CLOSED
        return None
