"""Keys for privacy by design: conversation keys that are not phone numbers, encryption at rest.

A :class:`KeyRing` holds one key per use: the HMAC-SHA256 key of ``conversation_key`` (the phone
number never becomes an identifier), the key of message-id fingerprints, the action server's
shared secret, and the sealing keys of :class:`Sealer` (Fernet: AES-128-CBC with HMAC-SHA256).
A new line's key file holds one master key, from which all of them are derived with HKDF; after
``hotline keys rotate`` (``bot.key_rotation``) it lists them by name, the newest sealing key first
(it seals; the others only open, until the rotation removes them). A :class:`Sealer` made from a
key file notices a rotated file within :data:`RELOAD_SECONDS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Tuple, Union

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HMAC_INFO = b"hotline/conversation-key/v1"
_FERNET_INFO = b"hotline/fernet/v1"
_ACTION_TOKEN_INFO = b"hotline/action-server-token/v1"
_FINGERPRINT_INFO = b"hotline/fingerprint/v1"


def new_master_key() -> str:
    """A fresh master key, URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _derive(master_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key)


def action_server_token(master_key: bytes) -> str:
    """The secret the Rasa server shows the action server: derived, so nothing more to keep."""
    return action_token_of(KeyRing.from_master(master_key))


RELOAD_SECONDS = 2.0  # how soon a running Sealer notices a rotated key file
_LABELS = ("conversation-keys", "fingerprints", "action-token", "seal")


def _decode_key(raw: str, what: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} must be URL-safe base64") from None
    if len(key) < 32:
        raise ValueError(f"{what} must hold at least 32 bytes, it holds {len(key)}")
    return key


def _encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


@dataclass(frozen=True)
class KeyRing:
    """Every key of a help line, by use; ``seal[0]`` seals, every ``seal`` key opens."""

    conversation_keys: bytes
    fingerprints: bytes
    action_token: bytes
    seal: Tuple[bytes, ...]

    @classmethod
    def from_master(cls, master_key: bytes) -> "KeyRing":
        """All keys derived from one master key (a new line's key file, ``HOTLINE_SECRET_KEY``)."""
        return cls(
            _derive(master_key, _HMAC_INFO), _derive(master_key, _FINGERPRINT_INFO),
            _derive(master_key, _ACTION_TOKEN_INFO), (_derive(master_key, _FERNET_INFO),),
        )

    @classmethod
    def parse(cls, text: str) -> "KeyRing":
        """A key file: one master key, or named keys (``name value`` lines; ``#`` comments)."""
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        if len(lines) == 1 and " " not in lines[0]:
            return cls.from_master(_decode_key(lines[0], "the master key"))
        named: dict = {label: [] for label in _LABELS}
        for line in lines:
            label, _, value = line.partition(" ")
            if label not in named:
                raise ValueError(f"unknown key name {label!r} (expected one of {', '.join(_LABELS)})")
            named[label].append(_decode_key(value.strip(), label))
        for label in _LABELS:
            if not named[label] or (label != "seal" and len(named[label]) > 1):
                raise ValueError(f"the key file needs {'at least' if label == 'seal' else 'exactly'} one {label!r} key")
        return cls(named["conversation-keys"][0], named["fingerprints"][0], named["action-token"][0], tuple(named["seal"]))

    def render(self) -> str:
        lines = [
            "# Help line keys (hotline keys rotate writes this file). Keep it secret, and back it up apart",
            "# from the data: whoever holds both can read every conversation.",
            f"conversation-keys {_encode_key(self.conversation_keys)}",
            f"fingerprints {_encode_key(self.fingerprints)}",
            f"action-token {_encode_key(self.action_token)}",
        ]
        lines += [f"seal {_encode_key(key)}" for key in self.seal]
        return "\n".join(lines) + "\n"

    def rotated(self) -> "KeyRing":
        """A new sealing key first; the old ones still open."""
        return replace(self, seal=(secrets.token_bytes(32),) + self.seal)

    def newest_only(self) -> "KeyRing":
        return replace(self, seal=self.seal[:1])


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Replace the key file at once (readers see the old or the new file, never half of one), 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(ring.render())
    os.replace(temporary, path)


def action_token_of(ring: KeyRing) -> str:
    return _encode_key(ring.action_token).rstrip("=")


PHONE_FORMATTING = frozenset("+0123456789 ()-.")


def normalise_address(address: str) -> str:
    """``whatsapp:+1 (555) 010-0000`` and ``whatsapp:+15550100000`` are the same address.

    Only phone numbers lose their formatting; any other address (a web chat's random id) is kept
    exactly, so two different ids can never become one conversation.
    """
    address = address.strip()
    prefix, _, number = address.rpartition(":")
    if not number or not set(number) <= PHONE_FORMATTING:
        return address
    digits = "".join(char for char in number if char.isdigit() or char == "+")
    return f"{prefix.lower()}:{digits}" if prefix else digits


class Sealer:
    """Conversation keys and authenticated encryption, from a master key or a :class:`KeyRing`.

    Made from a key file (``source``), it reads the file again when it changes (a rotation), at
    most every :data:`RELOAD_SECONDS`.
    """

    def __init__(self, keys: Union[bytes, KeyRing], source: Optional[Path] = None) -> None:
        self._source = source
        self._checked_at = time.monotonic()
        self._mtime = source.stat().st_mtime_ns if source is not None else 0
        self._use(keys if isinstance(keys, KeyRing) else KeyRing.from_master(keys))

    def _use(self, ring: KeyRing) -> None:
        self._hmac_key = ring.conversation_keys
        self._fingerprint_key = ring.fingerprints
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in ring.seal])

    def _follow_rotation(self) -> None:
        if self._source is None or time.monotonic() - self._checked_at < RELOAD_SECONDS:
            return
        self._checked_at = time.monotonic()
        try:
            mtime = self._source.stat().st_mtime_ns
            if mtime != self._mtime:
                self._use(KeyRing.parse(self._source.read_text(encoding="ascii")))
                self._mtime = mtime
        except (OSError, ValueError):  # mid-replacement or unreadable: keep the keys in use
            return

    def conversation_key(self, channel: str, address: str) -> str:
        """Stable pseudonymous id of an address on a channel (hex HMAC, prefixed by the channel)."""
        digest = hmac.new(self._hmac_key, f"{channel}|{normalise_address(address)}".encode(), hashlib.sha256)
        return f"{channel}-{digest.hexdigest()[:40]}"

    def fingerprint(self, kind: str, value: str) -> str:
        """A keyed hash of ``value`` (e.g. a provider's message id) that recognises it again
        without storing it and cannot be linked to a conversation key."""
        return hmac.new(self._fingerprint_key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        self._follow_rotation()
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """The plaintext; raises ``cryptography.fernet.InvalidToken`` when tampered or wrong key."""
        self._follow_rotation()
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")


__all__ = [
    "KeyRing", "Sealer", "InvalidToken", "action_server_token", "action_token_of", "new_master_key", "normalise_address",
    "write_key_file",
]
