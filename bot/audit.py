"""The append-only, hash-chained audit log: who did what to which account or conversation.

An entry is (at, actor, action, target, detail). ``actor`` is a console username or ``"cli"``;
``target`` an id such as ``"counselor:3"`` or ``"escalation:12"``; ``detail`` a small dict of
ids and codes. **Never message text, never phone numbers or addresses**: callers pass ids.
:func:`record` refuses detail keys such as ``body`` or ``phone``, strings longer than
:data:`MAX_DETAIL_STRING`, and strings that look like a phone number or channel address; this
is a tripwire for mistakes, not a guarantee.

Chaining: ``entry_hash`` is SHA-256 over a canonical JSON object of the entry's fields (``at``
in ISO format, ``actor``, ``action``, ``target``, ``detail`` as canonical JSON text and
``prev_hash``; the row id is not included). ``prev_hash`` is the previous entry's hash, 64 zeros
for the first entry. Appends are serialised so the chain never forks: ``BEGIN IMMEDIATE`` on
SQLite and ``LOCK TABLE audit_log IN EXCLUSIVE MODE`` on PostgreSQL, inside the transaction
that reads the last hash and inserts the new entry.

What :func:`verify` detects:

* an entry whose stored fields were changed: its hash no longer matches (reported with its id);
* an entry deleted from the start or the middle: the next entry's ``prev_hash`` no longer
  matches (reported with the id of the entry after the gap);
* an entry whose hash was recomputed after a change: the entry after it no longer follows.

What the chain alone does NOT detect:

* deleting the last entry or entries: what remains is a consistent, shorter chain;
* someone with write access to the database who changes an entry and recomputes every hash
  after it (plain SHA-256 has no key).

Both are caught by keeping the head (the last ``entry_hash``: returned by :func:`record`,
printed by ``hotline audit verify``) somewhere the database's users cannot change, and passing
it back as ``expected_head``: if it is no longer in the chain, entries were removed or rewritten.
Nothing extra is stored in the database for this.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.errors import AuditError, ConfigError
from bot.storage.db import new_session
from bot.storage.models import AuditEntry, utcnow

GENESIS_HASH = "0" * 64
MAX_DETAIL_STRING = 200
APPEND_TRIES = 5
# lower-case detail keys that would hold what a person wrote or how to reach them
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"text", "body", "message", "messages", "content", "phone", "phone_number", "number", "address", "msisdn"}
)
_ADDRESS_LIKE = re.compile(r"(?:\+|\b(?:tel|sms|whatsapp):\s*\+?)\s*\d[\d\s().-]{5,}\d", re.IGNORECASE)
_FIELD_LIMITS = {"actor": 64, "action": 64, "target": 128}


@dataclass(frozen=True)
class AuditReceipt:
    """The appended entry's id and hash (the new head of the chain)."""

    id: int
    entry_hash: str


@dataclass(frozen=True)
class VerifyResult:
    """``entries`` counts the entries read: all of them when ``ok``, else up to the first bad one."""

    ok: bool
    entries: int
    first_bad_id: Optional[int]
    problem: str
    head: Optional[str] = None


def record(
    url: str, actor: str, action: str, target: str, detail: Mapping[str, Any], *, now: Optional[datetime] = None
) -> AuditReceipt:
    """Append one entry; safe with several processes appending at once."""
    for field, value in (("actor", actor), ("action", action), ("target", target)):
        if not value or len(value) > _FIELD_LIMITS[field]:
            raise AuditError(f"audit {field} must have 1 to {_FIELD_LIMITS[field]} characters")
    detail_json = canonical_json(_checked_detail(detail))
    at = _naive_utc(now or utcnow())
    attempt = 1
    while True:
        try:
            return _append(url, at, actor, action, target, detail_json)
        except sa.exc.OperationalError:  # SQLite still busy after its own timeout
            if attempt == APPEND_TRIES:
                raise
            time.sleep(0.05 * attempt)
            attempt += 1


def verify(url: str, expected_head: Optional[str] = None) -> VerifyResult:
    """Walk the chain in id order; see the module docstring for what is and is not detected."""
    previous = GENESIS_HASH
    entries = 0
    head_seen = expected_head is None
    with new_session(url) as session:
        columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target,
                   AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.entry_hash)
        rows = session.execute(sa.select(*columns).order_by(AuditEntry.id).execution_options(yield_per=500))
        for row in rows:
            entries += 1
            if row.prev_hash != previous:
                problem = f"entry {row.id} does not follow the entry before it (one before it was deleted or rewritten)"
                return VerifyResult(False, entries, row.id, problem)
            if entry_hash(row.at, row.actor, row.action, row.target, row.detail, row.prev_hash) != row.entry_hash:
                return VerifyResult(False, entries, row.id, f"entry {row.id} was changed after it was written")
            previous = row.entry_hash
            head_seen = head_seen or row.entry_hash == expected_head
    head = previous if entries else None
    if not head_seen:
        problem = "the expected head is not in the log (entries at the end were deleted, or the log was rewritten)"
        return VerifyResult(False, entries, None, problem, head)
    return VerifyResult(True, entries, None, "", head)


def entry_hash(at: datetime, actor: str, action: str, target: str, detail_json: str, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's fields, without its id."""
    fields = {
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target": target,
        "detail": detail_json,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _append(url: str, at: datetime, actor: str, action: str, target: str, detail_json: str) -> AuditReceipt:
    with new_session(url) as session:
        _lock_for_append(session)
        last = session.execute(sa.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        prev_hash = last or GENESIS_HASH
        entry = AuditEntry(
            at=at, actor=actor, action=action, target=target, detail=detail_json, prev_hash=prev_hash,
            entry_hash=entry_hash(at, actor, action, target, detail_json, prev_hash),
        )
        session.add(entry)
        session.commit()
        return AuditReceipt(entry.id, entry.entry_hash)


def _lock_for_append(session: Session) -> None:
    """Take the write lock before reading the last hash, so two appends cannot both chain to it."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        session.execute(sa.text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
    else:
        raise ConfigError(f"HOTLINE_DATABASE_URL: the audit log supports SQLite and PostgreSQL, not {dialect}")


def _checked_detail(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(detail, Mapping):
        raise AuditError("audit detail must be a mapping of ids and codes")
    _check_value(dict(detail), "detail")
    try:
        canonical_json(detail)
    except (TypeError, ValueError) as error:
        raise AuditError(f"audit detail must be plain JSON data ({error})") from None
    return detail


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(f"audit {where}: keys must be strings")
            if key.lower() in FORBIDDEN_DETAIL_KEYS:
                raise AuditError(f"audit {where}.{key}: message text and contact details never go in the audit log")
            _check_value(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]")
    elif isinstance(value, str):
        if len(value) > MAX_DETAIL_STRING:
            raise AuditError(f"audit {where}: strings hold at most {MAX_DETAIL_STRING} characters (pass ids, not text)")
        if _ADDRESS_LIKE.search(value):
            raise AuditError(f"audit {where}: looks like a phone number or address; pass the conversation id")


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


__all__ = ["AuditReceipt", "VerifyResult", "GENESIS_HASH", "canonical_json", "entry_hash", "record", "verify"]
