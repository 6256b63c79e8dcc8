"""A help line reached over SMS in tests: the running servers, the Twilio emulator in front of
them, and the signed webhooks a person's messages arrive as."""

from __future__ import annotations

import time
from typing import List

from testsupport.servers import RunningServers
from testsupport.twilio_client import inbound_sms_params, post_webhook
from testsupport.twilio_emulator import BackgroundEmulator


class Line:
    """Send a person's SMS to the line and read what the line sent back through the emulator."""

    def __init__(self, servers: RunningServers, emulator: BackgroundEmulator, auth_token: str, public_url: str, to: str) -> None:
        self.servers = servers
        self.emulator = emulator
        self.auth_token = auth_token
        self.public_url = public_url
        self.default_to = to

    @property
    def webhook(self) -> str:
        return f"{self.servers.receiver_url}/webhooks/twilio/webhook"

    @property
    def rasa_webhook(self) -> str:
        return f"{self.servers.url}/webhooks/twilio/webhook"

    def text(
        self, sender: str, body: str, to: str | None = None, sid: str | None = None, via: str | None = None, **extra
    ) -> tuple[int, str]:
        params = inbound_sms_params(sender, to or self.default_to, body, message_sid=sid, **extra)
        return post_webhook(
            via or self.webhook, params, self.auth_token, signature_url=f"{self.public_url}/webhooks/twilio/webhook"
        )

    def replies_to(self, address: str) -> List[str]:
        return [message.body for message in self.emulator.messages if message.to == address]

    def wait_for_replies(self, address: str, count: int, timeout: float = 90.0) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.replies_to(address)
            if len(replies) >= count:
                return replies
            time.sleep(0.2)
        raise AssertionError(f"expected {count} replies, got {self.replies_to(address)}")

    def settle(self, seconds: float = 4.0) -> None:
        time.sleep(seconds)

    def all_replies(self, address: str, at_least: int, quiet: float = 4.0) -> List[str]:
        """Every reply to ``address`` once at least ``at_least`` came and nothing more for ``quiet`` s."""
        replies = self.wait_for_replies(address, at_least)
        while True:
            self.settle(quiet)
            now = self.replies_to(address)
            if now == replies:
                return replies
            replies = now

    def rows(self, sql: str, **params) -> list:
        return self.servers.rows(sql, **params)
