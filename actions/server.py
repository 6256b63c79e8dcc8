"""The action server: Rasa SDK's application, answering only the help line's own Rasa server.

``rasa run actions`` listens on every interface and runs any action for anyone who reaches it:
erase any conversation, push invented priority-1 escalations into the counselors' queue. This
server (``hotline actions``) listens on 127.0.0.1 unless told otherwise and runs nothing without
the shared secret, sent by the Rasa server in the ``X-Hotline-Action-Token`` header
(``endpoints.yml``; the value is ``Settings.action_token()``). Only ``/health`` is open. Errors
are answered without echoing the request (it holds the conversation), bodies are size-limited.
"""

from __future__ import annotations

import hmac
import logging
import traceback

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import log_privacy
from bot.config import Settings

logger = logging.getLogger(__name__)

ACTION_TOKEN_HEADER = "X-Hotline-Action-Token"
# Rasa sends the whole tracker with every call: a long conversation is a few hundred KiB.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
OPEN_PATHS = frozenset({"/health"})


def build_app(settings: Settings) -> Sanic:
    """Rasa SDK's app with the project's actions, behind the shared secret."""
    log_privacy.install()
    expected = settings.action_token().encode("utf-8")
    app = create_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(ACTION_TOKEN_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, expected):
            logger.warning("Refused an action server request without the shared secret (%s).", request.path)
            return response.json({"error": "unauthorised"}, status=401)
        return None

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # Rasa SDK's own handler logs the request and sends its body back: the person's
        # conversation. Here: the kind of error and where, never its message or the request.
        if isinstance(exception, SanicException):  # too large, not found, wrong method
            return response.json({"error": type(exception).__name__}, status=exception.status_code)
        where = "".join(traceback.format_tb(exception.__traceback__))
        logger.error("An action failed (%s) at:\n%s", type(exception).__name__, where)
        return response.json({"error": "the action failed"}, status=500)

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the action server until interrupted (no access log)."""
    build_app(settings).run(host=host, port=port, workers=1, access_log=False, motd=False)
