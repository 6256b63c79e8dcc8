"""The sign-in throttle: guessing is slowed per client address and for the whole console, before
any password is hashed, and nobody can lock the real person out.

Each password check costs an argon2 hash (64 MiB, tens of milliseconds); a per-account lockout
would let anyone keep ``admin`` locked by typing wrong passwords. So the limits are in front:

* per client address: at most ``ADDRESS_ATTEMPTS`` password attempts per 10 minutes;
* per client address and username: at most ``PAIR_FAILURES`` failures per 15 minutes (someone
  mistyping their own password is held up here, not everyone else);
* for the whole console: at most ``CONSOLE_ATTEMPTS`` password attempts a minute.

The account itself is locked only after wrong codes at the second step, which needs the password
(``console.accounts``). The client address is the socket's peer, or the proxy's header
(``HOTLINE_CLIENT_ADDRESS_HEADER``), kept in memory only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Optional

from bot.sliding_window import SlidingWindow

ADDRESS_ATTEMPTS = 20
PAIR_FAILURES = 5
CONSOLE_ATTEMPTS = 120
TOO_MANY = "Too many sign-in attempts from here. Wait a few minutes, then try again."


class SignInThrottle:
    def __init__(self) -> None:
        self._address = SlidingWindow(ADDRESS_ATTEMPTS, 600.0)
        self._pair = SlidingWindow(PAIR_FAILURES, 900.0)
        self._console = SlidingWindow(CONSOLE_ATTEMPTS, 60.0, max_keys=1)
        self._salt = secrets.token_bytes(32)

    def _key(self, *parts: str) -> str:
        return hashlib.blake2b("|".join(parts).encode(), key=self._salt, digest_size=16).hexdigest()

    def attempt(self, address: str, username: str, now: Optional[float] = None) -> bool:
        """Whether a password may be checked now (counted if so)."""
        now = time.monotonic() if now is None else now
        by_address, pair = self._key(address), self._key(address, username.strip().lower())
        if not (self._address.allows(by_address, now) and self._pair.allows(pair, now) and self._console.allows("all", now)):
            return False
        self._address.count(by_address, now)
        self._console.count("all", now)
        return True

    def failed(self, address: str, username: str, now: Optional[float] = None) -> None:
        self._pair.count(self._key(address, username.strip().lower()), now)
