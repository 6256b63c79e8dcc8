"""The Twilio webhook receiver: a small server that only checks, stores and acknowledges.

Point Twilio here (``hotline twilio-receiver``, port 5006 in ``make run``) rather than at the
Rasa server. It serves the same ``/webhooks/twilio/webhook`` and ``/webhooks/twilio/status`` as
``channels.twilio`` (same signature check, same durable inbox), but loads no model: Twilio's
request is answered as soon as the message is committed, however busy the model is. The Rasa
server's inbox watcher takes the message from there, runs the turn and sends the replies. With
PostgreSQL the receiver may run on another machine than the Rasa servers.
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings
from bot.inbox import unprocessed_ids
from channels.twilio import MAX_BODY_BYTES, TwilioHotlineInput, TwilioRuntime


async def _no_turns(_message) -> None:  # pragma: no cover - receive-only: never called
    raise RuntimeError("the receiver does not run bot turns")


def build_app(settings: Settings) -> Sanic:
    """The receiver's Sanic application (the database schema is brought up to date first)."""
    runtime = TwilioRuntime.build(settings)
    unprocessed_ids(settings.database_url, ("sms",))  # opens the database and applies migrations once, now
    app = Sanic("hotline_twilio_receiver", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES  # Sanic would read 100 MB before the route's own check
    channel = TwilioHotlineInput(runtime, process_turns=False)
    app.blueprint(channel.blueprint(_no_turns), url_prefix="/webhooks/twilio")

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the receiver until interrupted (no access log: it would hold request details)."""
    build_app(settings).run(host=host, port=port, workers=1, access_log=False, motd=False)
