"""Sliding-window counting with bounded memory, for limits on what outsiders may do (the web
chat's flood limits, the console's sign-in throttle)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Deque, Optional

MAX_TRACKED = 10_000


class SlidingWindow:
    """At most ``limit`` events per key within ``window_s`` seconds, for at most ``max_keys`` keys."""

    def __init__(self, limit: int, window_s: float, max_keys: int = MAX_TRACKED) -> None:
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._seen: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def _recent(self, key: str, now: float) -> Deque[float]:
        seen = self._seen.pop(key, None)
        if seen is None:
            seen = deque()
        while seen and now - seen[0] > self.window_s:
            seen.popleft()
        self._seen[key] = seen  # most recently seen last
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return seen

    def allows(self, key: str, now: Optional[float] = None) -> bool:
        """Whether one more event fits (without counting it)."""
        now = time.monotonic() if now is None else now
        return len(self._recent(key, now)) < self.limit

    def count(self, key: str, now: Optional[float] = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent(key, now).append(now)

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, key: object) -> bool:
        return key in self._seen
