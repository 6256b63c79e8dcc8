"""Thin async client for Twilio's Messages API, with retries. Never blocks the event loop.

``send`` posts one message and returns its SID. 429, 5xx and network errors are retried with
exponential backoff (``Retry-After`` is honoured); other 4xx answers are final. The API base
URL is configurable (``HOTLINE_TWILIO_API_URL``) so tests and staging talk to a local emulator.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Optional

import aiohttp

from bot.errors import DeliveryError

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay_s: float = 0.5
    max_delay_s: float = 30.0


class TwilioClient:
    """Sends messages through one Twilio account (or the local emulator)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_url: str,
        retry: RetryPolicy = RetryPolicy(),
        timeout_s: float = 15.0,
    ) -> None:
        self._account_sid = account_sid
        self._auth = aiohttp.BasicAuth(account_sid, auth_token)
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._retry = retry
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: Optional[aiohttp.ClientSession] = None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, auth=self._auth)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, to: str, from_: str, body: str, status_callback: Optional[str] = None) -> tuple[str, int]:
        """Send one message; returns (message SID, attempts used). Raises :class:`DeliveryError`."""
        form = {"To": to, "From": from_, "Body": body}
        if status_callback:
            form["StatusCallback"] = status_callback
        delay = self._retry.first_delay_s
        reason = "not attempted"
        for attempt in range(1, self._retry.attempts + 1):
            wait = delay
            try:
                session = await self._client()
                async with session.post(self._url, data=form) as response:
                    if response.status in (200, 201):
                        payload = await response.json(content_type=None)
                        return str(payload["sid"]), attempt
                    reason = f"HTTP {response.status}"
                    if response.status not in RETRYABLE_STATUSES:
                        raise DeliveryError(reason, final=True, attempts=attempt)
                    retry_after = response.headers.get("Retry-After", "")
                    if retry_after.isdigit():
                        wait = max(wait, float(retry_after))
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                reason = f"network: {type(error).__name__}"
            if attempt < self._retry.attempts:
                logger.warning("Twilio send attempt %d failed (%s); retrying in %.1f s", attempt, reason, wait)
                await asyncio.sleep(min(wait, self._retry.max_delay_s))
                delay = min(delay * 2, self._retry.max_delay_s)
        raise DeliveryError(reason, final=False, attempts=self._retry.attempts)
