"""Twilio SMS and WhatsApp channel: signed webhooks in, a durable inbox, an outbox with retries.

Webhook ``POST /webhooks/twilio/webhook``:
1. The ``X-Twilio-Signature`` is checked against ``HOTLINE_PUBLIC_URL`` + path + query (the URL
   Twilio called, not the one a proxy hands us); forged or missing: 403, and a log line with
   neither the message nor the number.
2. The message is committed to the inbox (sealed), keyed by an HMAC of the sender; a retry of
   the same ``MessageSid`` is acknowledged and dropped. Then Twilio gets an empty TwiML answer.
3. The bot's turn runs after the answer; its replies are stored in the outbox together with
   marking the message processed, then sent (SMS parts cut between sentences or words,
   WhatsApp up to 1600 characters) through ``channels.twilio_api`` with retries.
Turns run on the inbox worker (``channels.inbox_worker``, shared with the web chat), which also
finds every message never completed: those a
separate receiver process committed (``channels.twilio_receiver``: the production entry point,
whose answers never wait on the model), those a crash interrupted (if Rasa had already saved the
turn, its replies are taken from the tracker instead of running it twice), and those whose turn
failed (tried again with growing pauses). Pending replies are sent at start-up. STOP and its
synonyms stop all messages until START; a media-only message gets an honest answer and its
references are kept for counselors.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot import inbox, log_privacy
from bot.config import Settings, load_settings
from bot.crypto import Sealer
from bot.inbox import Inbound
from bot.incoming_text import clean_incoming
from bot.knowledge import jurisdiction_codes
from bot.numbers import HotlineNumber, load_numbers, lookup
from bot.sms import split_for_sms, split_for_whatsapp, turn_text
from bot.text import fold
from channels.inbox_worker import InboxWorker
from channels.turns import take_turn
from channels.twilio_api import TwilioClient
from channels.twilio_outbox import TwilioOutbox

logger = logging.getLogger(__name__)

# Turns run on this many lanes of the inbox worker (channels.inbox_worker), each conversation
# always on the same lane so its messages keep their order; webhooks only commit and answer. One
# lane: the model's inference is the bottleneck and holds the event loop, so more lanes add no
# throughput in one process (benchmarks/twilio_bench.py); scale with more processes instead.
TURN_LANES = 1
CHANNELS = ("sms", "whatsapp")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY_BYTES = 64 * 1024
# Twilio's own opt-out and opt-in keywords: after STOP the line sends nothing until START.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
START_WORDS = frozenset({"start", "unstop"})
MEDIA_RESPONSE = "utter_media_received"


def channel_of(address: str) -> str:
    return "whatsapp" if address.lower().startswith("whatsapp:") else "sms"


def keyword_of(text: str) -> str:
    return " ".join(fold(text).split()).strip(" .!")


@dataclass
class TwilioRuntime:
    """Everything the channel needs, built once when the server starts (not at import)."""

    settings: Settings
    sealer: Sealer
    client: Optional[TwilioClient]
    numbers: Dict[str, HotlineNumber]
    validator: Optional[RequestValidator]

    @classmethod
    def build(cls, settings: Settings) -> "TwilioRuntime":
        client = validator = None
        if settings.twilio_auth_token:
            validator = RequestValidator(settings.twilio_auth_token)
            if settings.twilio_account_sid:
                client = TwilioClient(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
        return cls(settings, settings.sealer(), client, load_numbers(settings.numbers_file, jurisdiction_codes(settings.knowledge_dir)), validator)


class TwilioHotlineInput(InputChannel):
    """Rasa input channel for Twilio SMS and WhatsApp (``credentials.yml``: ``channels.twilio.TwilioHotlineInput``)."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(self, runtime: Optional[TwilioRuntime] = None, process_turns: bool = True) -> None:
        """``process_turns=False``: only receive (commit and acknowledge); a Rasa server's inbox
        watcher runs the turns (``channels.twilio_receiver``)."""
        log_privacy.install()
        self._runtime = runtime
        self._process_turns = process_turns
        self._worker: Optional[InboxWorker] = None  # runs the turns (None in a receive-only process)
        self._outbox: Optional[TwilioOutbox] = None  # sends what the bot and counselors wrote

    @property
    def runtime(self) -> TwilioRuntime:
        if self._runtime is None:
            self._runtime = TwilioRuntime.build(load_settings())
        return self._runtime

    @property
    def outbox(self) -> TwilioOutbox:
        if self._outbox is None:
            runtime = self.runtime
            self._outbox = TwilioOutbox(runtime.sealer, runtime.client, runtime.settings, CHANNELS)
        return self._outbox

    # ------------------------------------------------------------------ HTTP
    def _signed_url(self, request: Request) -> str:
        public = self.runtime.settings.public_url
        if not public:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{public}{request.path}{query}"

    def _verified_form(self, request: Request) -> Optional[Dict[str, str]]:
        """The webhook's parameters when Twilio signed them; None otherwise."""
        validator = self.runtime.validator
        if validator is None:
            return None
        params = _form(request)
        if params is None:
            return None
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(self._signed_url(request), params, signature):
            return None
        return params

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("twilio_hotline_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            params = self._signed_params(request, "webhook")
            if isinstance(params, HTTPResponse):
                return params
            sid, sender, to = params.get("MessageSid", ""), params.get("From", ""), params.get("To", "")
            if not re.fullmatch(r"[A-Za-z0-9]{10,64}", sid) or not sender or not to:
                return response.text("MessageSid, From and To are required", status=400)
            text = clean_incoming(params.get("Body", ""))
            if len(text) > self.runtime.settings.max_message_chars * 4:
                return response.text("message too long", status=413)
            media = _media(params)
            # Committed right here, without handing over to a thread: every hop back to the event
            # loop could wait behind a turn's model inference, and Twilio is waiting for the answer.
            runtime = self.runtime
            inbound = inbox.record_inbound(runtime.settings.database_url, runtime.sealer, sid, channel_of(sender), sender, to, text, media)
            if inbound is not None and self._worker is not None:  # None: a retry of a message we already have
                self._worker.offer(inbound)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @webhook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            params = self._signed_params(request, "status callback")
            if isinstance(params, HTTPResponse):
                return params
            state = params.get("MessageStatus", "")
            if state in {"delivered", "undelivered", "failed", "sent"}:
                await asyncio.to_thread(inbox.record_delivery, self.runtime.settings.database_url, params.get("MessageSid", ""), state)
            return response.text("", status=204)

        @webhook.listener("after_server_start")
        async def start_worker(app, _loop) -> None:
            if not self._process_turns:
                return

            async def process(inbound: Inbound) -> None:
                await self._process(app, inbound, on_new_message)

            self._worker = InboxWorker(
                "Twilio", self.runtime.settings.database_url, self.runtime.sealer, CHANNELS, process, lanes=TURN_LANES, on_poll=self.outbox.send_from_people
            )
            app.add_task(self._recover(self._worker))

        return webhook

    def _signed_params(self, request: Request, what: str) -> Union[Dict[str, str], HTTPResponse]:
        """The request's parameters when it is a well-formed, Twilio-signed form; else the refusal."""
        rejection = self._reject_early(request)
        if rejection is not None:
            return rejection
        params = self._verified_form(request)
        if params is None:
            logger.warning("Rejected a Twilio %s with a missing or invalid signature.", what)
            return response.text("invalid signature", status=403)
        return params

    def _reject_early(self, request: Request) -> Optional[HTTPResponse]:
        if self.runtime.validator is None:
            logger.error("Twilio webhook called but TWILIO_AUTH_TOKEN is not set; refusing it.")
            return response.text("Twilio channel not configured", status=503)
        if len(request.body or b"") > MAX_BODY_BYTES:
            return response.text("request too large", status=413)
        if not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
            return response.text("expected a form-encoded Twilio webhook", status=415)
        return None

    # ------------------------------------------------------------ processing
    async def _recover(self, worker: InboxWorker) -> None:
        """After a restart: send the replies still pending; meanwhile the worker runs the turns."""
        url = self.runtime.settings.database_url
        await asyncio.to_thread(inbox.release_interrupted, url)
        pending = await asyncio.to_thread(inbox.pending, url, CHANNELS)
        asyncio.get_running_loop().create_task(worker.run())
        await self.outbox.send_in_order(pending)

    async def _process(self, app, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One turn: Rasa's answer (or STOP/START, or the media notice), stored with the message
        marked done, then sent. Raises when the turn must be tried again (the worker's retries)."""
        if inbound.text.strip() == "" and inbound.media:
            replies = await self._media_reply(app, inbound)
        elif keyword_of(inbound.text) in STOP_WORDS | START_WORDS:
            opted_out = keyword_of(inbound.text) in STOP_WORDS
            await asyncio.to_thread(inbox.set_opted_out, self.runtime.settings.database_url, inbound.conversation_key, opted_out)
            replies = []  # Twilio answers STOP/START itself; the line adds nothing
        else:
            number = lookup(self.runtime.numbers, inbound.hotline_number)
            metadata = {
                "channel": inbound.channel,
                "jurisdiction": number.jurisdiction,
                "language": number.language,
                "hotline_number": inbound.hotline_number,
                "media_count": len(inbound.media),
            }
            replies = await take_turn(app, inbound, self.name(), on_new_message, metadata)
        if inbound.channel == "whatsapp":
            parts = [part for reply in replies for part in split_for_whatsapp(reply)]
        else:  # one text per turn, cut into as few SMS as it needs (bot.sms)
            parts = split_for_sms(turn_text(replies))
        runtime = self.runtime
        outbound_ids = await asyncio.to_thread(inbox.complete_turn, runtime.settings.database_url, runtime.sealer, inbound, parts)
        # Sending waits on the network: it must not hold up the next turn.
        asyncio.get_running_loop().create_task(self.outbox.send_in_order(outbound_ids))

    async def _media_reply(self, app, inbound: Inbound) -> List[str]:
        tracker = await app.ctx.agent.tracker_store.get_or_create_tracker(inbound.conversation_key)
        number = lookup(self.runtime.numbers, inbound.hotline_number)
        language = tracker.get_slot("language") or number.language
        message = await app.ctx.agent.nlg.generate(MEDIA_RESPONSE, tracker, self.name(), language=language)
        return [message["text"]] if message and message.get("text") else []


def _form(request: Request) -> Optional[Dict[str, str]]:
    """The form fields, blank ones included (Twilio signs them too); None if not UTF-8."""
    from urllib.parse import parse_qsl

    try:
        body = (request.body or b"").decode("utf-8")
    except UnicodeDecodeError:
        return None
    return dict(parse_qsl(body, keep_blank_values=True))


def _media(params: Dict[str, str]) -> List[Dict[str, str]]:
    try:
        count = min(int(params.get("NumMedia", "0") or 0), 10)
    except ValueError:
        count = 0
    media = [
        {"url": params.get(f"MediaUrl{i}", ""), "content_type": params.get(f"MediaContentType{i}", "")}
        for i in range(count)
    ]
    if params.get("Latitude") and params.get("Longitude"):
        media.append({"location": f"{params['Latitude']},{params['Longitude']}", "content_type": "location"})
    return [item for item in media if any(item.values())]
