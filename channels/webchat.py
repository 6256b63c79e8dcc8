"""Web chat channel: the page at ``/chat``, an embeddable script, and a small JSON + SSE API.

* ``GET /chat`` serves the chat page (no external CDN, strict Content-Security-Policy, no
  cookies); ``GET /chat/embed.js`` puts it in an iframe on a help line's own site.
* ``POST /webchat/messages`` takes ``{conversation_id, client_id, text}``: the conversation id is
  a random per-tab id (sessionStorage only), the client id makes a retried POST harmless. Size
  and flood limits (``channels.webchat_limits``: per client address, per conversation, for the
  whole line) answer with a clear error before any work is done. The message is committed to the durable inbox
  before the answer (202); the bot's turn runs afterwards.
* ``POST /webchat/stream-token`` takes ``{conversation_id}`` and answers a short-lived token;
  ``GET /webchat/events?token=...`` is a server-sent-events stream of the conversation (the
  person's messages and the replies), each with an id; after a dropped connection the browser
  resumes from ``Last-Event-ID`` without losing or repeating a message. The conversation id never
  travels in a URL (``channels.webchat_access``).
* ``POST /webchat/end`` takes ``{conversation_id}``: "End chat" (and Quick exit). Afterwards, and
  after ``webchat_access.IDLE_SECONDS`` without a message or an open page, the id opens nothing
  (410): the page starts a new conversation.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, Union

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import inbox, log_privacy
from bot.client_address import client_address
from bot.config import LazySettings, Settings
from bot.crypto import InvalidToken, Sealer
from bot.inbox import Inbound
from bot.incoming_text import clean_incoming
from bot.sliding_window import SlidingWindow
from channels import webchat_access
from channels.inbox_worker import InboxWorker
from channels.turns import take_turn
from channels.webchat_limits import LINE_BUSY, TOO_FAST, WebChatLimits

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "webchat_static"
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")
CLIENT_ID = re.compile(r"[0-9A-Za-z-]{8,64}")
MAX_REQUEST_BYTES = 16 * 1024
# What the Rasa server reads of any request before a route sees it (Sanic's default is 100 MB);
# the largest legitimate ones are Twilio's forms and the REST channel's messages.
SERVER_MAX_REQUEST_BYTES = 256 * 1024
MAX_TEXT_CHARS = 1000
STREAM_SECONDS = 300.0  # a stream ends after 5 minutes; the browser reconnects by itself
HEARTBEAT_SECONDS = 15.0
# Counselors write from the console (another process): the stream looks for new messages this often.
POLL_SECONDS = 1.0
INBOX_POLL_SECONDS = 1.0  # how often messages whose turn did not complete are looked for
TURN_LANES = 1  # as for Twilio (channels.twilio): a conversation's messages keep their order
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8"}


def security_headers(settings: Settings) -> Dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {settings.webchat_frame_ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


def parse_cursor(raw: str) -> Tuple[int, int]:
    """``"12:7"`` -> (12, 7): the last person message and the last reply already seen."""
    match = re.fullmatch(r"(\d{1,12}):(\d{1,12})", raw or "")
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


class WebChatInput(LazySettings, InputChannel):
    """Rasa input channel for the web chat (``credentials.yml``: ``channels.webchat.WebChatInput``)."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def url_prefix(self) -> str:
        return "/"  # routes live at /chat and /webchat/..., not under /webhooks/

    def __init__(self, settings: Optional[Settings] = None) -> None:
        """``settings``: given by tests; Rasa builds the channel without them (read on first use)."""
        super().__init__(settings)
        log_privacy.install()
        self._sealer: Optional[Sealer] = None
        self._limits = WebChatLimits()
        self._tokens = SlidingWindow(30, 60.0)  # stream tokens per client address a minute
        self._wakeups: Dict[str, asyncio.Event] = {}
        self._listeners: Dict[str, int] = {}  # open streams per conversation (their wake-up is dropped with the last)
        self._worker: Optional[InboxWorker] = None  # runs the turns, once the server has started

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:
            self._sealer = self.settings.sealer()
        return self._sealer

    def _client(self, request: Request) -> str:
        """The client address (the proxy's header when one is configured), as a keyed hash."""
        return self._limits.client(client_address(request.headers, request.ip, self.settings.client_address_header))

    def _open_cursor(self, token: str) -> Tuple[int, int]:
        """Where a stream resumes: the sealed cursor the page got as its last event id."""
        if not token or len(token) > 400:
            return 0, 0
        try:
            return parse_cursor(self.sealer.open(token))
        except (InvalidToken, UnicodeError, ValueError):
            return 0, 0

    def _wake(self, key: str) -> None:
        event = self._wakeups.get(key)
        if event is not None:
            event.set()

    # ------------------------------------------------------------------ HTTP
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("hotline_webchat", __name__)

        @webchat.route("/chat", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            return self._static("chat.html")

        @webchat.route("/chat/<name:str>", methods=["GET"])
        async def asset(_: Request, name: str) -> HTTPResponse:
            if name not in {"chat.js", "chat.css", "embed.js", "ui.json"}:
                return error(404, "not_found", "No such file.")
            return self._static(name)

        @webchat.route("/chat/config.json", methods=["GET"])
        async def config(_: Request) -> HTTPResponse:
            return response.json(
                {"quickExitUrl": self.settings.quick_exit_url, "maxChars": MAX_TEXT_CHARS},
                headers=security_headers(self.settings),
            )

        @webchat.route("/webchat/messages", methods=["POST"])
        async def post_message(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        @webchat.route("/webchat/events", methods=["GET"])
        async def events(request: Request):
            return await self._stream(request)

        @webchat.route("/webchat/stream-token", methods=["POST"])
        async def stream_token(request: Request) -> HTTPResponse:
            return await self._stream_token(request)

        @webchat.route("/webchat/end", methods=["POST"])
        async def end(request: Request) -> HTTPResponse:
            return await self._end(request)

        @webchat.listener("before_server_start")
        async def limit_request_size(app, _loop) -> None:
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, SERVER_MAX_REQUEST_BYTES)

        @webchat.listener("after_server_start")
        async def recover(app, _loop) -> None:
            app.add_task(self._recover(app, on_new_message))

        return webchat

    def _static(self, name: str) -> HTTPResponse:
        path = STATIC_DIR / name
        content_type = STATIC_TYPES[path.suffix]
        headers = security_headers(self.settings)
        if name == "embed.js":
            headers.pop("Content-Security-Policy")  # runs on the host site's page
        return response.raw(path.read_bytes(), content_type=content_type, headers=headers)

    @staticmethod
    def _json_body(request: Request) -> Union[Dict[str, Any], HTTPResponse]:
        if len(request.body or b"") > MAX_REQUEST_BYTES:
            return error(413, "too_large", "This message is too long.")
        if not (request.content_type or "").startswith("application/json"):
            return error(415, "bad_request", "Send JSON.")
        try:
            payload = json.loads((request.body or b"").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return error(400, "bad_request", "The request is not valid JSON.")
        if not isinstance(payload, dict):
            return error(400, "bad_request", "The request is not a JSON object.")
        conversation_id = payload.get("conversation_id")
        if not isinstance(conversation_id, str) or not CONVERSATION_ID.fullmatch(conversation_id):
            return error(400, "bad_conversation", "Reload the page to start a new conversation.")
        return payload

    async def _gone(self, key: str) -> Optional[HTTPResponse]:
        """410 when the conversation was ended or has expired: the page starts a new one."""
        now = await asyncio.to_thread(webchat_access.state, self.settings.database_url, key)
        if now == webchat_access.OPEN:
            return None
        return error(410, now, "This chat has ended. Anything you write now starts a new one.")

    async def _stream_token(self, request: Request) -> HTTPResponse:
        payload = self._json_body(request)
        if isinstance(payload, HTTPResponse):
            return payload
        client = self._client(request)
        if not self._tokens.allows(client):
            return error(429, TOO_FAST, "Too many requests. Please wait a moment.")
        self._tokens.count(client)
        key = self.sealer.conversation_key("web", payload["conversation_id"])
        gone = await self._gone(key)
        if gone is not None:
            return gone
        await asyncio.to_thread(webchat_access.seen, self.settings.database_url, key)
        token = webchat_access.issue_stream_token(self.sealer, key)
        return response.json({"token": token, "expires_in": webchat_access.STREAM_TOKEN_SECONDS},
                             headers=security_headers(self.settings))

    async def _end(self, request: Request) -> HTTPResponse:
        payload = self._json_body(request)
        if isinstance(payload, HTTPResponse):
            return payload
        key = self.sealer.conversation_key("web", payload["conversation_id"])
        await asyncio.to_thread(webchat_access.end, self.settings.database_url, key)
        self._wake(key)  # an open stream of it ends
        return response.json({"status": "ended"}, headers=security_headers(self.settings))

    async def _receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        payload = self._json_body(request)
        if isinstance(payload, HTTPResponse):
            return payload
        conversation_id, client_id, text = payload["conversation_id"], payload.get("client_id"), payload.get("text")
        if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
            return error(400, "bad_request", "Missing message id.")
        if not isinstance(text, str) or not text.strip():
            return error(400, "empty", "Write a message first.")
        text = clean_incoming(text)
        if len(text) > MAX_TEXT_CHARS:
            return error(413, "too_long", f"Messages can be at most {MAX_TEXT_CHARS} characters.")
        key = self.sealer.conversation_key("web", conversation_id)
        refused = self._limits.message(self._client(request), key)  # in memory, before any database work
        if refused == TOO_FAST:
            return error(429, TOO_FAST, "You are sending messages very fast. Please wait a moment.")
        if refused == LINE_BUSY:
            return error(503, LINE_BUSY, "The line is very busy. If you are in danger, call your local emergency number now.")
        gone = await self._gone(key)
        if gone is not None:
            return gone
        provider_sid = "web-" + hashlib.sha256(f"{key}|{client_id}".encode()).hexdigest()[:40]
        inbound = await asyncio.to_thread(inbox.record_inbound, self.settings.database_url, self.sealer, provider_sid, "web", conversation_id, "web", text)
        if inbound is None:
            return response.json({"status": "duplicate"}, status=200)
        self._wake(key)
        if self._worker is not None:
            self._worker.offer(inbound)
        return response.json({"status": "accepted"}, status=202)  # (no row id: it would tell how busy the line is)

    async def _stream(self, request: Request):
        key = webchat_access.stream_token_key(self.sealer, request.args.get("token", ""))
        if key is None:
            return error(401, "bad_token", "Reconnecting.")
        gone = await self._gone(key)
        if gone is not None:
            return gone
        await asyncio.to_thread(webchat_access.seen, self.settings.database_url, key)  # the page is still open
        client = self._client(request)
        refused = self._limits.open_stream(client)
        if refused:
            return error(429 if refused == TOO_FAST else 503, refused, "Too many open chats. Close one and try again.")
        self._listeners[key] = self._listeners.get(key, 0) + 1
        try:
            await self._send_stream(request, key)
        finally:
            self._limits.close_stream(client)
            self._listeners[key] -= 1
            if not self._listeners[key]:
                del self._listeners[key]
                self._wakeups.pop(key, None)

    async def _send_stream(self, request: Request, key: str) -> None:
        after_in, after_out = self._open_cursor(request.headers.get("Last-Event-ID") or request.args.get("after", ""))
        stream = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={**security_headers(self.settings), "X-Accel-Buffering": "no"},
        )
        wakeup = self._wakeups.setdefault(key, asyncio.Event())
        deadline = time.monotonic() + STREAM_SECONDS
        await stream.send("retry: 2000\n\n")
        last_sent = checked = time.monotonic()
        while time.monotonic() < deadline:
            wakeup.clear()
            for entry in await asyncio.to_thread(inbox.transcript, self.settings.database_url, self.sealer, key, after_in, after_out):
                if entry["kind"] == "person":
                    after_in = entry["id"]
                else:
                    after_out = entry["id"]
                data = json.dumps({"from": entry["kind"], "text": entry["text"]}, ensure_ascii=False)
                cursor = self.sealer.seal(f"{after_in}:{after_out}")  # opaque: row ids would tell the line's volume
                await stream.send(f"id: {cursor}\nevent: message\ndata: {data}\n\n")
                last_sent = time.monotonic()
            try:
                await asyncio.wait_for(wakeup.wait(), timeout=POLL_SECONDS)
                woken = True
            except asyncio.TimeoutError:
                woken = False
                if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                    await stream.send(": keep-alive\n\n")
                    last_sent = time.monotonic()
            if woken or time.monotonic() - checked >= HEARTBEAT_SECONDS:  # ended ("End chat", another tab)?
                checked = time.monotonic()
                if await asyncio.to_thread(webchat_access.state, self.settings.database_url, key) == webchat_access.ENDED:
                    await stream.send("event: ended\ndata: {}\n\n")
                    break
        await stream.eof()

    # ------------------------------------------------------------ processing
    async def _recover(self, app, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """At start: release replies a crash left unsent; then run turns for good (``channels.inbox_worker``:
        new messages, and those whose turn never completed, tried again with growing pauses)."""
        for outbound_id in await asyncio.to_thread(inbox.pending, self.settings.database_url, ("web",)):
            await asyncio.to_thread(inbox.mark_sent, self.settings.database_url, outbound_id, "web", 1)

        async def process(inbound: Inbound) -> None:
            await self._process(app, inbound, on_new_message)

        self._worker = InboxWorker(
            "web chat", self.settings.database_url, self.sealer, ("web",), process, lanes=TURN_LANES, poll_s=INBOX_POLL_SECONDS
        )
        await self._worker.run()

    async def _process(self, app, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One turn: Rasa's answer stored with the message marked done, then released to the page's
        stream. Raises when the turn must be tried again (the worker's retries)."""
        replies = await take_turn(app, inbound, self.name(), on_new_message, {"channel": "web", "hotline_number": "web"})
        ids = await asyncio.to_thread(inbox.complete_turn, self.settings.database_url, self.sealer, inbound, replies)
        for outbound_id in ids:  # on the web, "sent" means released to the page's stream
            await asyncio.to_thread(inbox.mark_sent, self.settings.database_url, outbound_id, "web", 1)
        self._wake(inbound.conversation_key)
