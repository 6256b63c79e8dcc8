"""Counselor accounts: creation, sign-in with lockout, password change and the TOTP second factor.

Passwords are stored as argon2 hashes and TOTP secrets sealed with :class:`~bot.crypto.Sealer`.
Every sign-in failure looks the same to the caller (:data:`SIGN_IN_FAILED`), whether the account
is unknown, disabled, locked or the password or code is wrong. Wrong passwords never lock an
account (anyone could keep the real person out that way): they are slowed before hashing by
``console.sign_in_throttle``. Wrong codes at the second step, which needs the password, and a
wrong current password when changing it, lock the account after :data:`MAX_FAILED_SIGN_INS` in a
row for :data:`LOCKOUT`; only a correct code resets the count, so knowing the password does not
buy unlimited guesses at the code. A code is accepted once: its time step
is stored and that step and every earlier one are refused afterwards.

Functions take the database URL and return frozen :class:`CounselorInfo` values, never a hash or
a secret; refusals raise :class:`~bot.errors.AccountError`. Writing the audit entry for a change
is the caller's job (it knows who acted). Logs name account ids, never usernames typed at sign-in.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

import pyotp
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from bot.crypto import Sealer
from bot.errors import AccountError
from bot.storage.db import new_session
from bot.storage.models import ConsoleSession, Counselor, utcnow
from console.permissions import Permission, Rules, allowed, load_rules

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
ONE_TIME_PASSWORD_BYTES = 12  # secrets.token_urlsafe: 16 characters, 96 bits
USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{3,64}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2}")
MAX_DISPLAY_NAME = 128
TOTP_ISSUER = "Hotline console"
TOTP_VALID_WINDOW = 1  # steps of 30 s either side of now
TOTP_CODE_PATTERN = re.compile(r"\d{6}")
FIRST_ADMIN_USERNAME = "admin"
FIRST_ADMIN_ROLE = "admin"
SIGN_IN_FAILED = "Wrong username, password or code."  # the one message for every sign-in failure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounselorInfo:
    """What the console may know about an account: no password hash, no TOTP secret."""

    id: int
    username: str
    display_name: str
    role: str
    languages: Tuple[str, ...]
    active: bool
    must_change_password: bool
    totp_enrolled: bool
    locked_until: Optional[datetime]
    alert_sound: bool = True  # the queue plays a sound when a new danger arrives


@dataclass(frozen=True)
class AuthResult:
    """The outcome of a sign-in step; on failure ``counselor`` is None and ``message`` generic."""

    ok: bool
    counselor: Optional[CounselorInfo] = None
    message: str = ""


class NewAccount(NamedTuple):
    """A created account and its one-time password (shown once, never stored in clear)."""

    counselor: CounselorInfo
    one_time_password: str

    def __repr__(self) -> str:
        return f"NewAccount(counselor={self.counselor!r}, one_time_password=<hidden>)"


class TotpEnrolment(NamedTuple):
    """What the enrolment page shows once: the secret, its ``otpauth://`` URI and a QR code (SVG)."""

    secret: str
    provisioning_uri: str
    qr_svg: str

    def __repr__(self) -> str:
        return "TotpEnrolment(<hidden>)"


_FAILED = AuthResult(ok=False, message=SIGN_IN_FAILED)


# --- account lifecycle -------------------------------------------------------------------------


def create_counselor(
    url: str,
    sealer: Sealer,
    username: str,
    display_name: str,
    role: str,
    languages: Union[str, Iterable[str]],
    *,
    rules: Optional[Rules] = None,
) -> NewAccount:
    """Create an account that must change its one-time password and enrol a second factor.

    ``languages`` is a list of ISO 639-1 codes or a comma-separated string. ``sealer`` is not
    needed yet (no second factor exists at creation); it is accepted so callers need not change
    when that does. Raises :class:`AccountError` naming the bad field or the taken username.
    """
    del sealer
    username = _valid_username(username)
    display_name = _valid_display_name(display_name)
    role = _valid_role(role, rules or load_rules())
    codes = _valid_languages(languages)
    password = secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
    row = Counselor(
        username=username,
        display_name=display_name,
        role=role,
        languages=",".join(codes),
        password_hash=_hasher().hash(password),
        must_change_password=True,
        totp_enrolled=False,
        active=True,
        failed_logins=0,
    )
    with new_session(url) as session:
        if _by_username(session, username) is not None:
            raise AccountError(f"a counselor named {username!r} already exists")
        session.add(row)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            raise AccountError(f"a counselor named {username!r} already exists") from None
        logger.info("created console account %s with role %s", row.id, role)
        return NewAccount(_info(row), password)


def ensure_first_admin(url: str, sealer: Sealer, *, languages: Sequence[str]) -> Optional[str]:
    """When there is no account at all, create ``admin`` (answering in ``languages``, the help
    line's) and return its one-time password.

    Returns None when any account exists (also when another process created it meanwhile).
    """
    if _any_counselor(url):
        return None
    try:
        account = create_counselor(url, sealer, FIRST_ADMIN_USERNAME, "Administrator", FIRST_ADMIN_ROLE, languages)
    except AccountError:
        if _any_counselor(url):
            return None
        raise
    return account.one_time_password


def disable_counselor(url: str, username: str, *, rules: Optional[Rules] = None) -> CounselorInfo:
    """Disable an account and sign out its browsers; the last account able to manage accounts stays."""
    rules = rules or load_rules()
    with new_session(url) as session:
        row = _require_username(session, username)
        if row.active and _manages_accounts(rules, row.role) and _active_account_managers(session, rules) <= 1:
            raise AccountError(
                f"{row.username!r} is the last active account that can manage accounts; create another first"
            )
        row.active = False
        ended = _end_sessions(session, row.id)
        session.commit()
        logger.info("disabled console account %s (%s sessions ended)", row.id, ended)
        return _info(row)


def enable_counselor(url: str, username: str) -> CounselorInfo:
    """Let a disabled account sign in again (with its password and second factor as they were)."""
    with new_session(url) as session:
        row = _require_username(session, username)
        row.active = True
        row.failed_logins = 0
        row.locked_until = None
        session.commit()
        logger.info("enabled console account %s", row.id)
        return _info(row)


def reset_password(url: str, username: str) -> NewAccount:
    """A new one-time password for a forgotten one: the old stops working, its browsers are signed
    out, the lockout is lifted, and the next sign-in asks for a new password (the second factor
    stays: reset it separately if the device is lost too)."""
    password = secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
    with new_session(url) as session:
        row = _require_username(session, username)
        row.password_hash = _hasher().hash(password)
        row.must_change_password = True
        row.failed_logins = 0
        row.locked_until = None
        ended = _end_sessions(session, row.id)
        session.commit()
        logger.info("reset the password of console account %s (%s sessions ended)", row.id, ended)
        return NewAccount(_info(row), password)


def reset_second_factor(url: str, username: str) -> CounselorInfo:
    """Forget the account's TOTP secret (the next sign-in enrols again) and sign out its browsers."""
    with new_session(url) as session:
        row = _require_username(session, username)
        row.totp_secret_sealed = None
        row.totp_enrolled = False
        row.totp_last_step = None
        ended = _end_sessions(session, row.id)
        session.commit()
        logger.info("reset the second factor of console account %s (%s sessions ended)", row.id, ended)
        return _info(row)


def list_counselors(url: str) -> List[CounselorInfo]:
    """Every account, by username."""
    with new_session(url) as session:
        rows = session.execute(sa.select(Counselor).order_by(Counselor.username)).scalars().all()
        return [_info(row) for row in rows]


def set_alert_sound(url: str, counselor_id: int, on: bool) -> None:
    """Whether the queue plays a sound for this account when a new danger arrives."""
    with new_session(url) as session:
        _require_id(session, counselor_id).alert_sound = on
        session.commit()


def get_counselor(url: str, counselor_id: int) -> Optional[CounselorInfo]:
    """One account by id, or None."""
    with new_session(url) as session:
        row = session.get(Counselor, counselor_id)
        return _info(row) if row is not None else None


# --- passwords ---------------------------------------------------------------------------------


def authenticate_password(url: str, username: str, password: str, now: Optional[datetime] = None) -> AuthResult:
    """Check a username and password; :data:`SIGN_IN_FAILED` for every kind of failure.

    An unknown username costs the same argon2 verification as a known one. A locked or disabled
    account fails even with the right password (and such attempts do not extend the lock).
    """
    now = now or utcnow()
    with new_session(url) as session:
        row = _by_username(session, username.strip().lower())
        if row is None:
            _password_matches(_dummy_hash(), password)
            return _FAILED
        matches = _password_matches(row.password_hash, password)
        if not row.active or _locked(row, now) or not matches:
            return _FAILED
        values: Dict[str, Any] = {"last_seen_at": now}
        if not row.totp_enrolled:  # otherwise the sign-in completes, and the count resets, at the code
            values.update(failed_logins=0, locked_until=None)
        if _hasher().check_needs_rehash(row.password_hash):
            values["password_hash"] = _hasher().hash(password)
        if not _update_if_usable(session, row.id, now, values):
            return _FAILED
        session.commit()
        return AuthResult(ok=True, counselor=_reloaded(session, row.id))


def change_password(
    url: str, counselor_id: int, old: str, new: str, now: Optional[datetime] = None, *, keep_session_id: Optional[int] = None
) -> CounselorInfo:
    """Replace the password (at least :data:`MIN_PASSWORD_LENGTH` characters, not the old one).

    A wrong current password counts toward the lockout like a failed sign-in. Every other session
    of the account ends (someone who knew the old password is signed out); ``keep_session_id``,
    the browser that made the change, stays signed in.
    """
    now = now or utcnow()
    with new_session(url) as session:
        row = _require_id(session, counselor_id)
        if not row.active or _locked(row, now):
            raise AccountError("this account is disabled or locked; try again later")
        if not _password_matches(row.password_hash, old):
            _count_failure(session, row.id, now)
            raise AccountError("the current password is wrong")
        if len(new) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"the new password must have at least {MIN_PASSWORD_LENGTH} characters")
        if new == old:
            raise AccountError("the new password must differ from the current one")
        row.password_hash = _hasher().hash(new)
        row.must_change_password = False
        _end_sessions(session, row.id, keep=keep_session_id)
        session.commit()
        return _info(row)


# --- second factor (TOTP) ----------------------------------------------------------------------


def start_totp_enrolment(url: str, sealer: Sealer, counselor_id: int) -> TotpEnrolment:
    """The TOTP secret to enrol for an account without one enrolled; stored sealed, enrolled once
    confirmed. An enrolment already started shows the same secret again (the person may have
    scanned it already and mistyped the code).

    Refused when a second factor is already enrolled: replacing it takes an admin's reset, so a
    stolen password alone cannot swap in an attacker's device.
    """
    with new_session(url) as session:
        row = _require_id(session, counselor_id)
        if not row.active:
            raise AccountError("this account is disabled")
        if row.totp_enrolled:
            raise AccountError("a second factor is already enrolled; an admin can reset it ('counselor reset-2fa')")
        if row.totp_secret_sealed:
            secret = sealer.open(row.totp_secret_sealed)
        else:
            secret = pyotp.random_base32()
            row.totp_secret_sealed = sealer.seal(secret)
            row.totp_last_step = None
            session.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=row.username, issuer_name=TOTP_ISSUER)
    return TotpEnrolment(secret, uri, _qr_svg(uri))


def confirm_totp(url: str, sealer: Sealer, counselor_id: int, code: str, now: Optional[datetime] = None) -> bool:
    """Finish enrolment with a first code from the authenticator app; the code is then used up."""
    return _check_code(url, sealer, counselor_id, code, now or utcnow(), enrolling=True)


def verify_totp(url: str, sealer: Sealer, counselor_id: int, code: str, now: Optional[datetime] = None) -> bool:
    """The second sign-in step: a current code (±1 step) not used before; failures count toward lockout."""
    return _check_code(url, sealer, counselor_id, code, now or utcnow(), enrolling=False)


def _check_code(url: str, sealer: Sealer, counselor_id: int, code: str, now: datetime, *, enrolling: bool) -> bool:
    with new_session(url) as session:
        row = _require_id(session, counselor_id)
        if not row.active or _locked(row, now) or row.totp_secret_sealed is None:
            return False
        if row.totp_enrolled == enrolling:  # confirming an enrolled factor, or verifying an unconfirmed one
            return False
        step = _matching_step(sealer.open(row.totp_secret_sealed), code, now, after=row.totp_last_step)
        if step is None:
            _count_failure(session, row.id, now)
            return False
        values = {"totp_last_step": step, "failed_logins": 0, "locked_until": None, "last_seen_at": now}
        if enrolling:
            values["totp_enrolled"] = True
        last_step = Counselor.totp_last_step
        # the step is claimed in the UPDATE itself, so two requests with one code cannot both pass
        accepted = _update_if_usable(session, row.id, now, values, sa.or_(last_step.is_(None), last_step < step))
        session.commit()
        return accepted


def _matching_step(secret: str, code: str, now: datetime, *, after: Optional[int]) -> Optional[int]:
    """The earliest time step within the window, later than ``after``, whose code is ``code``."""
    code = code.replace(" ", "").strip()
    if not TOTP_CODE_PATTERN.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now.replace(tzinfo=timezone.utc))  # naive datetimes here are UTC
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, title=f"{TOTP_ISSUER} sign-in code")


# --- helpers -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def prepare() -> None:
    """Make the stand-in hash for unknown usernames now, at start: made on the first unknown
    name instead, that one attempt would take twice as long and tell the name was unknown."""
    _dummy_hash()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown usernames, so they take as long as known ones."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked(row: Counselor, now: datetime) -> bool:
    return row.locked_until is not None and now < row.locked_until


def _count_failure(session: Session, counselor_id: int, now: datetime) -> None:
    """One more failure in a row (atomic, committed at once); the one reaching the limit locks the account."""
    where = Counselor.id == counselor_id
    session.execute(sa.update(Counselor).where(where).values(failed_logins=Counselor.failed_logins + 1))
    failures = session.execute(sa.select(Counselor.failed_logins).where(where)).scalar_one()
    if failures >= MAX_FAILED_SIGN_INS:
        session.execute(sa.update(Counselor).where(where).values(failed_logins=0, locked_until=now + LOCKOUT))
        logger.warning("console account %s locked for %s after %s failed attempts", counselor_id, LOCKOUT, failures)
    session.commit()


def _update_if_usable(
    session: Session, counselor_id: int, now: datetime, values: Dict[str, Any], *extra: ColumnElement
) -> bool:
    """Apply ``values`` only if the account is still active and unlocked (checked in the UPDATE)."""
    statement = (
        sa.update(Counselor)
        .where(
            Counselor.id == counselor_id,
            Counselor.active.is_(True),
            sa.or_(Counselor.locked_until.is_(None), Counselor.locked_until <= now),
            *extra,
        )
        .values(**values)
    )
    return session.execute(statement).rowcount == 1


def _end_sessions(session: Session, counselor_id: int, keep: Optional[int] = None) -> int:
    """End the account's sessions (but ``keep``); how many ended."""
    ending = sa.delete(ConsoleSession).where(ConsoleSession.counselor_id == counselor_id)
    if keep is not None:
        ending = ending.where(ConsoleSession.id != keep)
    return session.execute(ending).rowcount or 0


def _any_counselor(url: str) -> bool:
    with new_session(url) as session:
        return session.execute(sa.select(Counselor.id).limit(1)).first() is not None


def _manages_accounts(rules: Rules, role: str) -> bool:
    return allowed(rules, Permission.MANAGE_ACCOUNTS, role)


def _active_account_managers(session: Session, rules: Rules) -> int:
    roles = [role for role in rules.roles if _manages_accounts(rules, role)]
    managers = sa.select(sa.func.count()).select_from(Counselor)
    return session.execute(managers.where(Counselor.active.is_(True), Counselor.role.in_(roles))).scalar_one()


def _by_username(session: Session, username: str) -> Optional[Counselor]:
    return session.execute(sa.select(Counselor).where(Counselor.username == username)).scalar_one_or_none()


def _require_username(session: Session, username: str) -> Counselor:
    row = _by_username(session, username.strip().lower())
    if row is None:
        raise AccountError(f"no counselor named {username!r}")
    return row


def _require_id(session: Session, counselor_id: int) -> Counselor:
    row = session.get(Counselor, counselor_id)
    if row is None:
        raise AccountError(f"no counselor with id {counselor_id}")
    return row


def _reloaded(session: Session, counselor_id: int) -> CounselorInfo:
    row = session.get(Counselor, counselor_id, populate_existing=True)
    return _info(row)


def _info(row: Counselor) -> CounselorInfo:
    return CounselorInfo(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        languages=tuple(code for code in row.languages.split(",") if code),
        active=bool(row.active),
        must_change_password=bool(row.must_change_password),
        totp_enrolled=bool(row.totp_enrolled),
        locked_until=row.locked_until,
        alert_sound=bool(row.alert_sound),
    )


def _valid_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(f"username {username!r} must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-'")
    return username


def _valid_display_name(display_name: str) -> str:
    display_name = " ".join(display_name.split())
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise AccountError(f"display name must have 1 to {MAX_DISPLAY_NAME} characters")
    return display_name


def _valid_role(role: str, rules: Rules) -> str:
    if role not in rules.roles:
        raise AccountError(f"role {role!r} is not one of {', '.join(sorted(rules.roles))}")
    return role


def _valid_languages(languages: Union[str, Iterable[str]]) -> Tuple[str, ...]:
    items = languages.split(",") if isinstance(languages, str) else list(languages)
    codes = tuple(dict.fromkeys(code.strip().lower() for code in items if code.strip()))
    bad = [code for code in codes if not LANGUAGE_PATTERN.fullmatch(code)]
    if not codes or bad:
        raise AccountError(f"languages must be ISO 639-1 codes like 'en,es', got {','.join(bad or codes) or 'none'!r}")
    if len(",".join(codes)) > 128:
        raise AccountError("too many languages for one account")
    return codes


__all__ = [
    "AuthResult",
    "CounselorInfo",
    "NewAccount",
    "TotpEnrolment",
    "SIGN_IN_FAILED",
    "MAX_FAILED_SIGN_INS",
    "LOCKOUT",
    "MIN_PASSWORD_LENGTH",
    "authenticate_password",
    "change_password",
    "confirm_totp",
    "create_counselor",
    "disable_counselor",
    "ensure_first_admin",
    "get_counselor",
    "list_counselors",
    "reset_second_factor",
    "start_totp_enrolment",
    "verify_totp",
]
