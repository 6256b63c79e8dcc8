"""For ``make bench`` only: the project's tracker store with sealing turned off, so that one run
can measure what sealing the tracker events costs. Never used by the product."""

from __future__ import annotations

from typing import Any

from bot.storage.tracker_store import HotlineTrackerStore


class _InClear:
    def seal(self, text: str) -> str:
        return text

    def open(self, token: str) -> str:
        return token


class UnsealedTrackerStore(HotlineTrackerStore):
    """``HotlineTrackerStore`` writing its events in clear (benchmark only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sealer = _InClear()  # type: ignore[assignment]
