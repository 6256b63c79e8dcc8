"""Keys for privacy by design: conversation keys that are not phone numbers, encryption at rest.

Everything derives from one master key (``HOTLINE_SECRET_KEY``) with HKDF, one sub-key per use:
``conversation_key`` is an HMAC-SHA256 of a channel address (the phone number never becomes an
identifier), and :class:`Sealer` encrypts message bodies and addresses with Fernet (AES-128-CBC
with HMAC-SHA256; the token carries its own timestamp).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
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
    return base64.urlsafe_b64encode(_derive(master_key, _ACTION_TOKEN_INFO)).decode("ascii").rstrip("=")


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
    """Conversation keys and authenticated encryption, from one master key."""

    def __init__(self, master_key: bytes) -> None:
        self._hmac_key = _derive(master_key, _HMAC_INFO)
        self._fingerprint_key = _derive(master_key, _FINGERPRINT_INFO)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master_key, _FERNET_INFO)))

    def conversation_key(self, channel: str, address: str) -> str:
        """Stable pseudonymous id of an address on a channel (hex HMAC, prefixed by the channel)."""
        digest = hmac.new(self._hmac_key, f"{channel}|{normalise_address(address)}".encode(), hashlib.sha256)
        return f"{channel}-{digest.hexdigest()[:40]}"

    def fingerprint(self, kind: str, value: str) -> str:
        """A keyed hash of ``value`` (e.g. a provider's message id) that recognises it again
        without storing it and cannot be linked to a conversation key."""
        return hmac.new(self._fingerprint_key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        """The plaintext; raises ``cryptography.fernet.InvalidToken`` when tampered or wrong key."""
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")


__all__ = ["Sealer", "InvalidToken", "action_server_token", "new_master_key", "normalise_address"]
